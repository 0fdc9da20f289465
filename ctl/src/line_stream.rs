//! Following a newline-delimited JSON stream from shoald (`events`, `service logs`): hands
//! each line to the caller until the server ends the stream, the user presses Ctrl-C, or the
//! reader of our output goes away (`| head`). Which of those is an error is the caller's call.

use anyhow::{Context, Result, anyhow};
use std::io::{ErrorKind, Write};

/// Why following stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// shoald closed the stream.
    ByServer,
    /// Ctrl-C: the normal way to stop following.
    Interrupted,
    /// Our own reader went away.
    ReaderGone,
}

/// Feeds each line (without its newline) to `each` until the stream ends. `each` returns
/// `false` once the reader has gone. `what` names the stream in errors.
pub async fn follow(
    response: &mut reqwest::Response,
    what: &str,
    mut each: impl FnMut(&[u8]) -> Result<bool>,
) -> Result<Ended> {
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let mut pending: Vec<u8> = Vec::new();
    loop {
        let chunk = tokio::select! {
            chunk = response.chunk() => chunk.map_err(|e| anyhow!("the {what} broke: {e}"))?,
            _ = &mut ctrl_c => return Ok(Ended::Interrupted),
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

/// Writes one line to stdout (or stderr); `false` once the reader has gone.
pub fn write_line(to_stderr: bool, text: &str) -> Result<bool> {
    let result = if to_stderr {
        let mut err = std::io::stderr().lock();
        writeln!(err, "{text}").and_then(|_| err.flush())
    } else {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}").and_then(|_| out.flush())
    };
    match result {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e).context("cannot write the output"),
    }
}
