//! Turns what a user typed (an id, a name, or a unique id prefix) into one object.

use crate::http::error::ApiError;

/// Finds the one candidate whose id equals `r`, else whose name equals `r`, else whose id
/// starts with `r`. `kind` names the object in errors.
pub fn resolve<'a, T>(
    kind: &str,
    r: &str,
    items: impl Iterator<Item = &'a T> + Clone,
    id: impl Fn(&T) -> &str,
    name: impl Fn(&T) -> &str,
) -> Result<&'a T, ApiError> {
    if r.is_empty() {
        return Err(ApiError::bad_request(format!(
            "{kind} reference must not be empty"
        )));
    }
    if let Some(x) = items.clone().find(|x| id(x) == r) {
        return Ok(x);
    }
    if let Some(x) = items.clone().find(|x| name(x) == r) {
        return Ok(x);
    }
    let mut matches = items.filter(|x| id(x).starts_with(r));
    match (matches.next(), matches.next()) {
        (Some(x), None) => Ok(x),
        (Some(_), Some(_)) => Err(ApiError::bad_request(format!(
            "{kind} reference {r:?} is ambiguous: it is the prefix of several ids"
        ))),
        (None, _) => Err(ApiError::not_found(format!("{kind} {r:?} not found"))),
    }
}
