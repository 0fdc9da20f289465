//! `shoalctl version`: this client's version and the server's, to spot a mismatch.

use crate::Ctx;
use crate::client::typed;
use crate::ordered_json::OrderedJson;
use crate::output::print_out;
use anyhow::Result;
use serde::Deserialize;

const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Deserialize)]
struct ServerVersion {
    version: String,
}

pub async fn run(ctx: &Ctx) -> Result<()> {
    if let Some(structured) = ctx.format.structured() {
        let server = ctx.client.get(&["version"], &[]).await?;
        let client = OrderedJson::object([("version", OrderedJson::String(CLIENT_VERSION.into()))]);
        let both = OrderedJson::object([("client", client), ("server", server)]);
        return print_out(&structured.render(&both)?);
    }
    // The client's version is worth showing even when the server cannot be reached.
    print_out(&format!("Client: {CLIENT_VERSION}"))?;
    let server: ServerVersion = typed(&ctx.client.get(&["version"], &[]).await?)?;
    print_out(&format!("Server: {}", server.version))
}
