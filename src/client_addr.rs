//! Who the client is, network-wise: the TCP peer, or — only when that peer is a trusted reverse proxy —
//! the address the proxy says it forwarded for.
//!
//! Behind nginx every TCP peer is nginx, so a per-address limit (the admin login throttle) would count
//! every client together. nginx passes the real address in `X-Real-IP` (and replaces
//! `X-Forwarded-For`); those headers are believed only from addresses in `TRUSTED_PROXIES`, because
//! anyone talking to the server directly can send them too.

use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

/// The client's address as [`resolve`] decided it; put in request extensions by [`layer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// One network: an address and a prefix length (`10.0.0.0/8`, `127.0.0.1`, `::1/128`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Network {
    addr: IpAddr,
    prefix: u8,
}

impl Network {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 peer on a dual-stack socket shows up as `::ffff:a.b.c.d`; compare it as the IPv4 it is.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("`{text}` is not an address or network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix length must be 0 to {max}"))?,
        };
        Ok(Self {
            addr: canonical(addr),
            prefix,
        })
    }
}

/// The reverse proxies whose forwarding headers are believed (`TRUSTED_PROXIES`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Network>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and networks; empty trusts nobody.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Network::from_str)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, peer: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(peer))
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self
            .0
            .iter()
            .map(|n| format!("{}/{}", n.addr, n.prefix))
            .collect();
        f.write_str(&list.join(","))
    }
}

/// The client behind `peer`: the proxy's `X-Real-IP` (else the last `X-Forwarded-For` entry, the one the
/// proxy itself added) when `peer` is trusted, otherwise `peer` itself.
pub fn resolve(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    if !trusted.trusts(peer) {
        return canonical(peer);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let forwarded = header("x-real-ip").map(str::trim).or_else(|| {
        header("x-forwarded-for")
            .and_then(|v| v.rsplit(',').next())
            .map(str::trim)
    });
    forwarded
        .and_then(|text| text.parse::<IpAddr>().ok())
        .map_or(canonical(peer), canonical)
}

/// Middleware: records the [`ClientAddr`] of requests served with connection info.
pub async fn layer(State(trusted): State<Arc<TrustedProxies>>, mut request: Request, next: Next) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let client = resolve(peer, request.headers(), &trusted);
        request.extensions_mut().insert(ClientAddr(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_are_believed_only_from_a_trusted_proxy() {
        let trusted = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let sent = headers(&[("x-real-ip", "203.0.113.7")]);
        assert_eq!(resolve(ip("127.0.0.1"), &sent, &trusted), ip("203.0.113.7"));
        assert_eq!(resolve(ip("10.9.8.7"), &sent, &trusted), ip("203.0.113.7"));
        assert_eq!(resolve(ip("192.0.2.1"), &sent, &trusted), ip("192.0.2.1"));
        assert_eq!(
            resolve(ip("127.0.0.1"), &sent, &TrustedProxies::default()),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn the_last_forwarded_for_entry_is_the_one_the_proxy_added() {
        let trusted = TrustedProxies::parse("127.0.0.1").unwrap();
        let sent = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.4")]);
        assert_eq!(resolve(ip("127.0.0.1"), &sent, &trusted), ip("198.51.100.4"));
        let garbage = headers(&[("x-real-ip", "not an address")]);
        assert_eq!(resolve(ip("127.0.0.1"), &garbage, &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_peers_match_ipv4_networks() {
        let trusted = TrustedProxies::parse("127.0.0.0/8").unwrap();
        let sent = headers(&[("x-real-ip", "203.0.113.9")]);
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), &sent, &trusted),
            ip("203.0.113.9")
        );
        let v6 = TrustedProxies::parse("fd00::/8").unwrap();
        assert_eq!(resolve(ip("fd12::1"), &sent, &v6), ip("203.0.113.9"));
        assert_eq!(resolve(ip("fe80::1"), &sent, &v6), ip("fe80::1"));
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("example.com").is_err());
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("0.0.0.0/0").unwrap().trusts(ip("8.8.8.8")));
    }
}
