//! Following a newline-delimited JSON stream from shoald (`events`, `service logs`): hands
//! each line to the caller until the server ends the stream, the caller's `stop` future
//! fires (Ctrl-C in the CLI), or the caller says its own reader went away (`| head`). Which
//! of those is an error is the caller's call.

use crate::rest::ClientError;
use std::future::Future;

/// Why following stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// shoald closed the stream.
    ByServer,
    /// `stop` fired: the normal way to stop following.
    Interrupted,
    /// The caller's reader went away.
    ReaderGone,
}

/// Feeds each line (without its newline) to `each` until the stream ends. `each` returns
/// `false` once the reader has gone. `what` names the stream in errors.
pub async fn follow<E: From<ClientError>>(
    response: &mut reqwest::Response,
    what: &str,
    stop: impl Future,
    mut each: impl FnMut(&[u8]) -> Result<bool, E>,
) -> Result<Ended, E> {
    tokio::pin!(stop);
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk.map_err(|e| ClientError::StreamBroke {
                what: what.to_string(),
                cause: e.to_string(),
            })?,
            _ = &mut stop => return Ok(Ended::Interrupted),
        };
        let Some(chunk) = chunk else {
            return Ok(Ended::ByServer);
        };
        pending.extend_from_slice(&chunk);
        while let Some(end) = pending.iter().position(|b| *b == b'\n') {
            let raw: Vec<u8> = pending.drain(..=end).collect();
            if !each(&raw[..end])? {
                return Ok(Ended::ReaderGone);
            }
        }
    }
}
