//! Whether an endpoint URL is one the host lets deliveries reach: the `webhook_hosts` variable
//! holds the pattern spin.toml grants this component (`allowed_outbound_hosts =
//! ["{{ webhook_hosts }}"]`), in Spin's syntax (`scheme://host:port`, `*` for any scheme, host
//! or port, `*.domain` for its subdomains). Checking at creation turns a URL the host would
//! refuse at every delivery into a 422 now.

/// The parts of an absolute http(s) URL: scheme, host (lowercase), port.
pub(crate) fn parts(url: &str) -> Option<(String, String, u16)> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            (host, port.parse().ok()?)
        }
        _ => (authority, default),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    Some((scheme, host.to_ascii_lowercase(), port))
}

/// Whether `url` matches `pattern`.
pub(crate) fn allows(pattern: &str, url: &str) -> bool {
    let Some((scheme, host, port)) = parts(url) else {
        return false;
    };
    let Some((want_scheme, rest)) = pattern.trim().split_once("://") else {
        return false;
    };
    let (want_host, want_port) = match rest.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    let scheme_ok = want_scheme == "*" || want_scheme.eq_ignore_ascii_case(&scheme);
    let want_host = want_host.to_ascii_lowercase();
    let host_ok = want_host == "*"
        || want_host == host
        || want_host
            .strip_prefix("*.")
            .is_some_and(|domain| host.ends_with(&format!(".{domain}")));
    let port_ok = match want_port {
        Some("*") => true,
        Some(want) => want.parse::<u16>().ok() == Some(port),
        // No port: the scheme's own.
        None => {
            let scheme = if want_scheme == "*" {
                scheme.as_str()
            } else {
                want_scheme
            };
            port == if scheme.eq_ignore_ascii_case("http") {
                80
            } else {
                443
            }
        }
    };
    scheme_ok && host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_match_as_spin_matches_allowed_hosts() {
        assert!(allows("https://*:443", "https://erp.example.com/hooks"));
        assert!(!allows("https://*:443", "http://erp.example.com/hooks"));
        assert!(!allows(
            "https://*:443",
            "https://erp.example.com:8443/hooks"
        ));
        assert!(allows("http://127.0.0.1:*", "http://127.0.0.1:4000/x"));
        assert!(allows("https://*.example.com", "https://erp.example.com/x"));
        assert!(!allows("https://*.example.com", "https://example.com/x"));
        assert!(allows(
            "*://erp.example.com:*",
            "http://ERP.example.com:81/"
        ));
        assert!(!allows("https://*:443", "ftp://erp.example.com/"));
        assert!(!allows("https://*:443", "not a url"));
    }
}
