//! Where shoald's control API is: parsing `-H/--host` (or `SHOAL_HOST`) into a unix socket path
//! or an `https://` base URL, with the default data dir's control socket when none is given.

use crate::paths::default_data_dir;
use reqwest::Url;
use std::fmt;
use std::path::PathBuf;
use thiserror::Error;

/// A `-H`/`SHOAL_HOST` value that names no control API.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("invalid host {host:?}: {why}")]
pub struct InvalidHost {
    pub host: String,
    pub why: String,
}

/// The address of a manager's control API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `unix:///path/to/control.sock`
    Unix(PathBuf),
    /// `https://host:port` (mutual TLS with a client bundle)
    Https(Url),
}

impl Endpoint {
    /// The endpoint named by `-H`/`SHOAL_HOST`, or the local control socket when absent.
    pub fn from_flag(host: Option<&str>) -> Result<Endpoint, InvalidHost> {
        match host.map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => Endpoint::parse(h),
            None => Ok(Endpoint::Unix(crate::paths::control_socket(
                &default_data_dir(),
            ))),
        }
    }

    pub fn parse(host: &str) -> Result<Endpoint, InvalidHost> {
        const HINT: &str = "use unix:///path/to/control.sock or https://host:port";
        if let Some(path) = host.strip_prefix("unix://") {
            if path.is_empty() {
                return Err(invalid(
                    host,
                    format!("the socket path is missing ({HINT})"),
                ));
            }
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        if host.starts_with("http://") {
            return Err(invalid(host, "managers serve TCP only over TLS: use https://host:port with a client bundle (--tls-dir)".into()));
        }
        if host.starts_with("https://") {
            let url = Url::parse(host).map_err(|e| invalid(host, e.to_string()))?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(invalid(host, format!("the host name is missing ({HINT})")));
            }
            if url.query().is_some() || url.fragment().is_some() {
                return Err(invalid(
                    host,
                    format!("a query or fragment is not allowed ({HINT})"),
                ));
            }
            return Ok(Endpoint::Https(url));
        }
        Err(invalid(host, HINT.into()))
    }

    /// The URL requests are built on: the server itself, or a placeholder host for a socket
    /// (the connection goes to the socket whatever the URL says).
    pub fn base_url(&self) -> Url {
        match self {
            Endpoint::Unix(_) => Url::parse("http://localhost/").expect("static URL"),
            Endpoint::Https(url) => url.clone(),
        }
    }
}

fn invalid(host: &str, why: String) -> InvalidHost {
    InvalidHost {
        host: host.to_string(),
        why,
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Unix(path) => write!(f, "unix://{}", path.display()),
            Endpoint::Https(url) => f.write_str(url.as_str().trim_end_matches('/')),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_unix_and_https_hosts() {
        assert_eq!(
            Endpoint::parse("unix:///run/shoal/control.sock").unwrap(),
            Endpoint::Unix(PathBuf::from("/run/shoal/control.sock"))
        );
        let https = Endpoint::parse("https://10.0.0.1:4242").unwrap();
        assert_eq!(https.to_string(), "https://10.0.0.1:4242");
        assert_eq!(https.base_url().as_str(), "https://10.0.0.1:4242/");
    }

    #[test]
    fn plain_http_is_refused_with_a_hint() {
        let e = Endpoint::parse("http://m1:4242").unwrap_err().to_string();
        assert!(
            e.contains("https://host:port") && e.contains("--tls-dir"),
            "{e}"
        );
    }

    #[test]
    fn rejects_other_forms_with_a_hint() {
        for bad in ["m1:4242", "tcp://m1:4242", "unix://", "https://"] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(e.contains("invalid host"), "{bad}: {e}");
        }
    }

    #[test]
    fn default_is_the_control_socket_of_the_default_data_dir() {
        let Endpoint::Unix(path) = Endpoint::from_flag(None).unwrap() else {
            panic!("default endpoint must be a unix socket");
        };
        assert_eq!(path, default_data_dir().join("control.sock"));
        assert_eq!(
            Endpoint::from_flag(Some("  ")).unwrap(),
            Endpoint::Unix(path)
        );
    }

    #[test]
    fn displays_as_the_user_would_type_it() {
        assert_eq!(
            Endpoint::Unix(PathBuf::from("/x/control.sock")).to_string(),
            "unix:///x/control.sock"
        );
    }
}
