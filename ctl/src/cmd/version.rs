//! `shoalctl version`: this client's version and the server's (API version, platform, and
//! whether the manager asked leads), to spot a mismatch. The client's part is printed even
//! when the server cannot be reached.

use crate::Ctx;
use crate::render::details::Details;
use crate::render::output::print_out;
use anyhow::Result;
use serde::Deserialize;
use shoal_api::rest::{API_VERSION, VersionInfo};
use shoal_client::json::OrderedJson;
use shoal_client::rest::typed;

/// What `/v1/version` answers; older servers send only `version`.
#[derive(Deserialize)]
struct ServerVersion {
    version: String,
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    leader: Option<bool>,
}

fn client_json() -> OrderedJson {
    let me = VersionInfo::of_this_build("client", None);
    OrderedJson::object([
        ("version", OrderedJson::String(me.version)),
        ("api_version", OrderedJson::String(me.api_version)),
        ("os", OrderedJson::String(me.os)),
        ("arch", OrderedJson::String(me.arch)),
    ])
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    if let Some(structured) = ctx.format.structured() {
        let server = ctx.client.get(&["version"], &[]).await?;
        let both = OrderedJson::object([("client", client_json()), ("server", server)]);
        return print_out(&structured.render(&both)?);
    }
    // A blank line between the two, as `docker version` has.
    print_out(&format!("{}\n", client_text()))?;
    let server: ServerVersion = typed(&ctx.client.get(&["version"], &[]).await?)?;
    print_out(&server_text(&server))
}

fn client_text() -> String {
    let me = VersionInfo::of_this_build("client", None);
    let mut d = Details::new();
    d.section("Client")
        .field(" Version", me.version)
        .field(" API version", me.api_version)
        .field(" OS/Arch", format!("{}/{}", me.os, me.arch));
    d.render()
}

fn server_text(s: &ServerVersion) -> String {
    let mut d = Details::new();
    d.section("Server").field(" Version", s.version.as_str());
    match &s.api_version {
        Some(v) if v != API_VERSION => d.field(
            " API version",
            format!("{v} (this client speaks {API_VERSION})"),
        ),
        Some(v) => d.field(" API version", v.as_str()),
        None => d.field(" API version", "unknown (an older server)"),
    };
    if let (Some(os), Some(arch)) = (&s.os, &s.arch) {
        d.field(" OS/Arch", format!("{os}/{arch}"));
    }
    if let Some(role) = &s.role {
        let role = match s.leader {
            Some(true) => format!("{role} (leader)"),
            _ => role.clone(),
        };
        d.field(" Role", role);
    }
    d.render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_names_role_leadership_and_an_api_mismatch() {
        let s = ServerVersion {
            version: "9.9.9".into(),
            api_version: Some("v2".into()),
            os: Some("linux".into()),
            arch: Some("aarch64".into()),
            role: Some("manager".into()),
            leader: Some(true),
        };
        let text = server_text(&s);
        assert!(text.contains("Version:       9.9.9"), "{text}");
        assert!(text.contains("v2 (this client speaks v1)"), "{text}");
        assert!(text.contains("linux/aarch64"), "{text}");
        assert!(text.contains("manager (leader)"), "{text}");
        let old: ServerVersion = serde_json::from_str(r#"{"version":"0.0.1"}"#).unwrap();
        assert!(server_text(&old).contains("unknown (an older server)"));
    }
}
