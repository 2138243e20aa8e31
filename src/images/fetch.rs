//! Downloading an image from a URL a user sent, without letting that URL reach anything else.
//!
//! The URL comes from a request body, so it is attacker-controlled: fetched blindly it reads internal
//! services, cloud metadata endpoints or localhost admin pages (server-side request forgery, which the
//! original system allowed). So:
//!
//! - Only hosts on `IMAGE_HOSTS` ([`HostAllowList`]); no userinfo (`http://kakaocdn.net@evil.com/`), no
//!   scheme but http(s), no IP address unless that exact address is listed.
//! - Redirects are never followed automatically: each `Location` is checked against the list like the
//!   first URL, at most [`MAX_REDIRECTS`] times.
//! - A name matched by a `*.domain` pattern must resolve to public addresses only (a DNS answer pointing
//!   into the private network is refused); a name listed exactly is the operator's own choice.
//! - No proxy: the connection must go where the checks looked.
//! - The body is capped at `IMAGE_MAX_BYTES`, from `Content-Length` and again while streaming, and must
//!   start with the magic number of a JPEG, PNG, WebP or GIF, whatever `Content-Type` says.
//! - Connect and total timeouts keep a slow server from holding a skill call.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{StatusCode, Url};
use url::Host;

use super::ImageError;
use crate::config::ImageSettings;

/// Redirects followed before giving up: CDNs redirect once, maybe twice.
pub const MAX_REDIRECTS: usize = 3;

/// Bytes needed to recognise every supported format (WebP: `RIFF????WEBP`).
const SNIFF_BYTES: usize = 12;

/// The image formats we accept, recognised by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl ImageKind {
    /// The format whose magic number `bytes` starts with, if it is one we accept.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        match bytes {
            [0xFF, 0xD8, 0xFF, ..] => Some(Self::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(Self::Png),
            [b'G', b'I', b'F', b'8', b'7' | b'9', b'a', ..] => Some(Self::Gif),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }

    /// The file extension used in storage keys.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Gif => "gif",
        }
    }

    pub fn from_extension(ext: &str) -> Option<ImageKind> {
        match ext {
            "jpg" => Some(Self::Jpeg),
            "png" => Some(Self::Png),
            "webp" => Some(Self::Webp),
            "gif" => Some(Self::Gif),
            _ => None,
        }
    }

    pub(crate) fn format(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::Webp => image::ImageFormat::WebP,
            Self::Gif => image::ImageFormat::Gif,
        }
    }
}

/// How long a download may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// To establish one connection (TCP and TLS).
    pub connect: Duration,
    /// For the whole download, redirects included.
    pub total: Duration,
}

impl Default for Timeouts {
    /// 2 s to connect and 8 s in all: Kakao's CDN answers in milliseconds; anything slower is broken.
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(2),
            total: Duration::from_secs(8),
        }
    }
}

/// Which hosts images may be downloaded from, parsed from `IMAGE_HOSTS`.
///
/// Patterns (case-insensitive): `host` (that host on the scheme's default port), `host:port` (that host on
/// that port), `*.domain` or `*.domain:port` (any subdomain of `domain`, **not** `domain` itself, so
/// `*.kakaocdn.net` matches `secure.kakaocdn.net` but neither `kakaocdn.net` nor `kakaocdn.net.evil.com`).
/// An IP address matches only when listed exactly; `[::1]:9000` for IPv6.
#[derive(Clone, Debug)]
pub struct HostAllowList {
    patterns: Vec<HostPattern>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum HostPattern {
    Exact { host: Host<String>, port: Option<u16> },
    Subdomains { suffix: String, port: Option<u16> },
}

impl HostAllowList {
    pub fn new(patterns: &[String]) -> Result<HostAllowList, ImageError> {
        let patterns = patterns
            .iter()
            .map(|p| {
                parse_pattern(p).ok_or_else(|| ImageError::Config(format!("bad image host pattern `{p}`")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(HostAllowList { patterns })
    }

    /// Parses `url` and checks it may be fetched: http(s), no userinfo, an allowed host and port.
    pub fn check(&self, url: &str) -> Result<Url, ImageError> {
        let parsed = Url::parse(url.trim()).map_err(|_| ImageError::HostNotAllowed {
            host: "(not a URL)".into(),
        })?;
        self.check_url(&parsed)?;
        Ok(parsed)
    }

    /// Whether `url` may be fetched; see [`check`](Self::check).
    pub fn allows(&self, url: &str) -> bool {
        self.check(url).is_ok()
    }

    fn check_url(&self, url: &Url) -> Result<(), ImageError> {
        let refuse = |why: &str| ImageError::HostNotAllowed { host: why.to_owned() };
        if !matches!(url.scheme(), "http" | "https") {
            return Err(refuse(&format!("(scheme {})", url.scheme())));
        }
        let Some(host) = url.host() else {
            return Err(refuse("(no host)"));
        };
        let shown = host.to_string();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(&format!("{shown} (with userinfo)")));
        }
        let explicit_port = url.port();
        let effective_port = url.port_or_known_default();
        let port_ok = |port: Option<u16>| match port {
            None => explicit_port.is_none(),
            Some(p) => effective_port == Some(p),
        };
        let allowed = self.patterns.iter().any(|pattern| match (pattern, &host) {
            (HostPattern::Exact { host: listed, port }, _) => host_eq(listed, &host) && port_ok(*port),
            (HostPattern::Subdomains { suffix, port }, Host::Domain(name)) => {
                name.len() > suffix.len() && name.ends_with(suffix.as_str()) && port_ok(*port)
            }
            (HostPattern::Subdomains { .. }, _) => false,
        });
        if allowed {
            Ok(())
        } else {
            Err(ImageError::HostNotAllowed {
                host: match explicit_port {
                    Some(p) => format!("{shown}:{p}"),
                    None => shown,
                },
            })
        }
    }

    /// Host names listed exactly (not through `*.`): the operator chose them, so they may resolve to any
    /// address (e.g. `localhost:9000` in development).
    fn exact_names(&self) -> HashSet<String> {
        self.patterns
            .iter()
            .filter_map(|p| match p {
                HostPattern::Exact {
                    host: Host::Domain(name),
                    ..
                } => Some(name.clone()),
                _ => None,
            })
            .collect()
    }
}

fn host_eq(listed: &Host<String>, actual: &Host<&str>) -> bool {
    match (listed, actual) {
        (Host::Domain(a), Host::Domain(b)) => a == b,
        (Host::Ipv4(a), Host::Ipv4(b)) => a == b,
        (Host::Ipv6(a), Host::Ipv6(b)) => a == b,
        _ => false,
    }
}

fn parse_pattern(pattern: &str) -> Option<HostPattern> {
    let pattern = pattern.trim().to_ascii_lowercase();
    if let Some(rest) = pattern.strip_prefix("*.") {
        let (domain, port) = split_port(rest)?;
        // At least two labels: `*.com` would allow half the internet.
        if !is_domain(domain) || !domain.contains('.') {
            return None;
        }
        return Some(HostPattern::Subdomains {
            suffix: format!(".{domain}"),
            port,
        });
    }
    if let Some(rest) = pattern.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        return Some(HostPattern::Exact {
            host: Host::Ipv6(ip.parse().ok()?),
            port,
        });
    }
    if let Ok(ip) = pattern.parse::<Ipv6Addr>() {
        return Some(HostPattern::Exact {
            host: Host::Ipv6(ip),
            port: None,
        });
    }
    let (host, port) = split_port(&pattern)?;
    let host = match host.parse::<Ipv4Addr>() {
        Ok(ip) => Host::Ipv4(ip),
        Err(_) if is_domain(host) => Host::Domain(host.to_owned()),
        Err(_) => return None,
    };
    Some(HostPattern::Exact { host, port })
}

/// `host:port` → (`host`, Some(port)); `host` → (`host`, None); a bad port → None.
fn split_port(s: &str) -> Option<(&str, Option<u16>)> {
    match s.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((s, None)),
    }
}

fn is_domain(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// Whether `ip` is an ordinary internet address, not loopback, private, link-local, shared (CGNAT),
/// documentation, benchmarking, multicast or reserved space — where a forged URL must never lead.
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || (first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64, may map to private IPv4
                || v6.segments()[..6] == [0; 6]) // IPv4-compatible
        }
    }
}

/// Resolves with the system resolver, then drops non-public addresses unless the name was listed exactly.
struct GuardedResolver {
    exact_names: Arc<HashSet<String>>,
}

/// A DNS answer that pointed only at private addresses (kept as a type so it can be told from an outage).
#[derive(Debug, thiserror::Error)]
#[error("{0} resolves only to non-public addresses")]
struct PrivateAddress(String);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let trusted = self.exact_names.contains(&host);
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| trusted || is_public_address(addr.ip()))
                .collect();
            if usable.is_empty() {
                return Err(Box::new(PrivateAddress(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}

/// A downloaded image: its bytes and the format they really are.
#[derive(Clone, Debug)]
pub struct Downloaded {
    pub bytes: Bytes,
    pub kind: ImageKind,
}

/// Downloads images from allowed hosts only. Built once: one HTTP client, one connection pool.
pub struct Downloader {
    client: reqwest::Client,
    allow: HostAllowList,
    max_bytes: u64,
    total: Duration,
}

impl Downloader {
    pub fn new(settings: &ImageSettings) -> Result<Downloader, ImageError> {
        Self::with_timeouts(settings, Timeouts::default())
    }

    pub fn with_timeouts(settings: &ImageSettings, timeouts: Timeouts) -> Result<Downloader, ImageError> {
        let allow = HostAllowList::new(&settings.allowed_hosts)?;
        let resolver = GuardedResolver {
            exact_names: Arc::new(allow.exact_names()),
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!(
                "junggye/",
                env!("CARGO_PKG_VERSION"),
                " (product image fetch)"
            ))
            .connect_timeout(timeouts.connect)
            .timeout(timeouts.total)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(resolver)
            .build()
            .map_err(|e| ImageError::Config(format!("HTTP client: {e}")))?;
        Ok(Downloader {
            client,
            allow,
            max_bytes: settings.max_bytes,
            total: timeouts.total,
        })
    }

    /// The allow-list this downloader enforces.
    pub fn allow_list(&self) -> &HostAllowList {
        &self.allow
    }

    /// Downloads `url` if its host (and every redirect's) is allowed, it fits `max_bytes`, it arrives
    /// within the total timeout and its bytes are a supported image.
    pub async fn download(&self, url: &str) -> Result<Downloaded, ImageError> {
        let first = self.allow.check(url)?;
        match tokio::time::timeout(self.total, self.follow(first)).await {
            Ok(result) => result,
            Err(_) => Err(ImageError::TooSlow),
        }
    }

    async fn follow(&self, mut url: Url) -> Result<Downloaded, ImageError> {
        for _ in 0..=MAX_REDIRECTS {
            let response = self
                .client
                .get(url.clone())
                .header(reqwest::header::ACCEPT, "image/*")
                .send()
                .await
                .map_err(request_error)?;
            let status = response.status();
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|l| l.to_str().ok())
                    .ok_or_else(|| ImageError::DownloadFailed(format!("HTTP {status} without Location")))?;
                let next = url
                    .join(location)
                    .map_err(|_| ImageError::DownloadFailed("redirect to an invalid URL".into()))?;
                self.allow.check_url(&next)?;
                url = next;
                continue;
            }
            if !status.is_success() {
                return Err(ImageError::DownloadFailed(format!("HTTP {status}")));
            }
            return self.read_body(response).await;
        }
        Err(ImageError::DownloadFailed(format!(
            "more than {MAX_REDIRECTS} redirects"
        )))
    }

    async fn read_body(&self, mut response: reqwest::Response) -> Result<Downloaded, ImageError> {
        let too_large = ImageError::TooLarge {
            limit_bytes: self.max_bytes,
        };
        let announced = response.content_length();
        if announced.is_some_and(|len| len > self.max_bytes) {
            return Err(too_large);
        }
        let capacity = announced.unwrap_or(64 * 1024).min(self.max_bytes);
        let mut body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
        let mut sniffed = None;
        while let Some(chunk) = response.chunk().await.map_err(request_error)? {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
            if sniffed.is_none() && body.len() >= SNIFF_BYTES {
                // Stop early rather than download megabytes of something that is not an image.
                sniffed = Some(ImageKind::sniff(&body).ok_or_else(not_an_image)?);
            }
        }
        let kind = match sniffed {
            Some(kind) => kind,
            None => ImageKind::sniff(&body).ok_or_else(not_an_image)?,
        };
        Ok(Downloaded {
            bytes: Bytes::from(body),
            kind,
        })
    }
}

fn not_an_image() -> ImageError {
    ImageError::NotAnImage("content is not JPEG, PNG, WebP or GIF".into())
}

/// Maps a reqwest error without its URL (which may carry a short-lived token).
fn request_error(error: reqwest::Error) -> ImageError {
    let error = error.without_url();
    if error.is_timeout() {
        return ImageError::TooSlow;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(PrivateAddress(host)) = e.downcast_ref::<PrivateAddress>() {
            return ImageError::HostNotAllowed {
                host: format!("{host} (non-public address)"),
            };
        }
        source = e.source();
    }
    ImageError::DownloadFailed(crate::telemetry::error_chain(&error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_parse() {
        assert!(parse_pattern("*.kakaocdn.net").is_some());
        assert!(parse_pattern("127.0.0.1:9000").is_some());
        assert!(parse_pattern("[::1]:9000").is_some());
        assert!(parse_pattern("localhost").is_some());
        for bad in ["*", "*.com", "a b", "host:port", "http://x", "*.a..b", "[::1"] {
            assert!(parse_pattern(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public_address(private.parse().unwrap()), "{private}");
        }
        for public in ["211.249.220.24", "8.8.8.8", "2600:1f18::1"] {
            assert!(is_public_address(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn magic_numbers_decide_the_kind() {
        assert_eq!(ImageKind::sniff(b"\xFF\xD8\xFF\xE0"), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::sniff(b"GIF89a...."), Some(ImageKind::Gif));
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageKind::Webp));
        assert_eq!(ImageKind::sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(ImageKind::sniff(b"<html>"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }
}
