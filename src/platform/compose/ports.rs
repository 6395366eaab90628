//! A published port, and the short syntax Compose reads it from (`127.0.0.1:5432:5432`,
//! `9000-9003:9000`, `53:53/udp`); the long syntax is a mapping the import reads key by key.

/// One published port as Compose reads it: `[HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]` or the
/// long syntax.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortBinding {
    pub host_ip: Option<String>,
    /// A port or a range (`9000-9003`); `None` lets the engine pick one.
    pub published: Option<String>,
    pub target: u16,
    pub protocol: String,
}

impl PortBinding {
    /// The host port when it is one fixed port: only one container per host can bind it.
    pub fn fixed(&self) -> Option<u16> {
        self.published.as_deref().and_then(|p| p.parse().ok())
    }

    /// As Compose's short syntax: `127.0.0.1:8080:8080`, `[::1]:8080:8080/udp`.
    pub fn short(&self) -> String {
        let ip = match self.host_ip.as_deref() {
            Some(ip) if ip.contains(':') => format!("[{ip}]:"),
            Some(ip) => format!("{ip}:"),
            None => String::new(),
        };
        let published = self.published.as_deref().map(|p| format!("{p}:")).unwrap_or_default();
        let protocol = if self.protocol == "tcp" { String::new() } else { format!("/{}", self.protocol) };
        format!("{ip}{published}{}{protocol}", self.target)
    }
}

/// Compose's short port syntax, `[HOST_IP:][HOST:]CONTAINER[/PROTOCOL]`, as the bindings
/// Compose makes of it: a container range is one binding per port, paired with a host range
/// of the same length.
pub(super) fn short_syntax(text: &str) -> Option<Vec<PortBinding>> {
    let (ports, protocol) = match text.split_once('/') {
        Some((ports, protocol)) => (ports, protocol.to_string()),
        None => (text, "tcp".to_string()),
    };
    // IPv6 host IPs are bracketed: [::1]:8080:8080.
    let (host_ip, rest) = match ports.strip_prefix('[') {
        Some(bracketed) => {
            let (ip, rest) = bracketed.split_once(']')?;
            (Some(ip.to_string()), rest.strip_prefix(':')?)
        }
        None => (None, ports),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_ip, published, target) = match (host_ip, parts.as_slice()) {
        (None, [target]) => (None, None, *target),
        (None, [published, target]) => (None, Some(*published), *target),
        (None, [ip, published, target]) => (Some(ip.to_string()), Some(*published), *target),
        (Some(ip), [published, target]) => (Some(ip), Some(*published), *target),
        _ => return None,
    };
    let host_ip = host_ip.filter(|ip| !ip.is_empty());
    let published = published.filter(|p| !p.is_empty());
    let range = |text: &str| -> Option<(u16, u16)> {
        match text.split_once('-') {
            Some((low, high)) => Some((low.parse().ok()?, high.parse().ok()?)),
            None => text.parse().ok().map(|port| (port, port)),
        }
    };
    let (low, high) = range(target)?;
    if high < low {
        return None;
    }
    let published_range = match published {
        Some(text) => Some(range(text)?),
        None => None,
    };
    let bindings = (low..=high)
        .zip(0u16..)
        .map(|(port, offset)| {
            let published = match (published, published_range) {
                // Two ranges of the same length pair up port by port.
                (Some(_), Some((from, to))) if high > low && to.checked_sub(from) == Some(high - low) => {
                    Some((from + offset).to_string())
                }
                (Some(text), _) => Some(text.to_string()),
                (None, _) => None,
            };
            PortBinding { host_ip: host_ip.clone(), published, target: port, protocol: protocol.clone() }
        })
        .collect();
    Some(bindings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(host_ip: Option<&str>, published: Option<&str>, target: u16, protocol: &str) -> PortBinding {
        PortBinding {
            host_ip: host_ip.map(String::from),
            published: published.map(String::from),
            target,
            protocol: protocol.into(),
        }
    }

    #[test]
    fn ports_in_short_syntax() {
        assert_eq!(short_syntax("8080:8080"), Some(vec![binding(None, Some("8080"), 8080, "tcp")]));
        let loopback = binding(Some("127.0.0.1"), Some("5432"), 5432, "tcp");
        assert_eq!(short_syntax("127.0.0.1:5432:5432"), Some(vec![loopback]));
        assert_eq!(short_syntax("[::1]:5432:5432"), Some(vec![binding(Some("::1"), Some("5432"), 5432, "tcp")]));
        assert_eq!(short_syntax("9000-9003:9000"), Some(vec![binding(None, Some("9000-9003"), 9000, "tcp")]));
        assert_eq!(short_syntax("9000"), Some(vec![binding(None, None, 9000, "tcp")]));
        assert_eq!(short_syntax("53:53/udp"), Some(vec![binding(None, Some("53"), 53, "udp")]));
        assert_eq!(
            short_syntax("7000-7001:7000-7001"),
            Some(vec![binding(None, Some("7000"), 7000, "tcp"), binding(None, Some("7001"), 7001, "tcp")])
        );
        assert_eq!(short_syntax("a:b"), None);
        assert_eq!(binding(Some("::1"), Some("8080"), 8080, "tcp").short(), "[::1]:8080:8080");
        assert_eq!(binding(None, Some("53"), 53, "udp").short(), "53:53/udp");
    }
}
