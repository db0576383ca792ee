//! How near to the user a server is, and the resolver that keeps a remote server from sending
//! cutroom nearer: a URL a server names (a redirect, a job's video URL) may lead only to
//! addresses as far out as that server's own, checked on the addresses a name resolves to, so a
//! DNS name cannot dodge it (through a proxy too, where the name is looked up here first).

use futures_util::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// How near to the user an address is, farthest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reach {
    /// The internet at large.
    Public,
    /// The user's network: private ranges (10/8, 172.16/12, 192.168/16, 100.64/10 shared,
    /// fc00::/7 unique local) and link-local (169.254/16, the cloud metadata address
    /// 169.254.169.254 among them; fe80::/10).
    Private,
    /// This machine: loopback (127/8, `::1`) and the unspecified `0.0.0.0/8`, `::`.
    Local,
}

impl Reach {
    /// Where an address is; IPv4-mapped (`::ffff:10.0.0.1`) and -compatible IPv6 as their IPv4.
    pub fn of_ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => of_v4(v4),
            IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Self::Local,
            IpAddr::V6(v6) => match v6.to_ipv4() {
                Some(v4) => of_v4(v4),
                None if v6.is_unique_local() || v6.is_unicast_link_local() => Self::Private,
                None => Self::Public,
            },
        }
    }

    /// Where `url`'s host is as far as its text tells: an address literal, or `localhost`
    /// (and `*.localhost`); any other name is [`Reach::Public`] until it is resolved.
    pub fn of_url(url: &Url) -> Self {
        match url.host() {
            Some(url::Host::Domain(d)) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                match d == "localhost" || d.ends_with(".localhost") {
                    true => Self::Local,
                    false => Self::Public,
                }
            }
            Some(url::Host::Ipv4(ip)) => Self::of_ip(ip.into()),
            Some(url::Host::Ipv6(ip)) => Self::of_ip(ip.into()),
            None => Self::Public,
        }
    }

    /// Where it is, in words, for a refusal.
    pub fn words(self) -> &'static str {
        match self {
            Self::Public => "on the internet",
            Self::Private => "in a private network",
            Self::Local => "on this machine",
        }
    }
}

fn of_v4(ip: Ipv4Addr) -> Reach {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() || a == 0 {
        Reach::Local
    } else if ip.is_private() || ip.is_link_local() || (a == 100 && b & 0xc0 == 64) {
        Reach::Private
    } else {
        Reach::Public
    }
}

/// A name refused by [`Guard`]: it resolves to an address nearer than allowed.
#[derive(Debug)]
pub struct Refused {
    /// The name.
    pub name: String,
    /// The first address refused.
    pub ip: IpAddr,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves to {}, {}",
            self.name,
            self.ip,
            Reach::of_ip(self.ip).words()
        )
    }
}

impl std::error::Error for Refused {}

/// The [`Refused`] behind a transport error, if that is why it failed.
pub fn refused(e: &reqwest::Error) -> Option<&Refused> {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(r) = s.downcast_ref::<Refused>() {
            return Some(r);
        }
        src = s.source();
    }
    None
}

/// Looks a name up: the system's resolver, or a stand-in in tests.
#[derive(Clone)]
pub struct Lookup(
    Arc<dyn Fn(String) -> BoxFuture<'static, std::io::Result<Vec<IpAddr>>> + Send + Sync>,
);

impl Lookup {
    /// The system's resolver (`getaddrinfo`, on a blocking thread).
    pub fn system() -> Self {
        Self(Arc::new(|name| {
            Box::pin(async move {
                let addrs = tokio::net::lookup_host((name.as_str(), 0)).await?;
                Ok(addrs.map(|a| a.ip()).collect())
            })
        }))
    }

    /// A stand-in: `hosts` maps names to addresses, any other name does not resolve.
    #[cfg(test)]
    pub fn hosts(hosts: &[(&str, &str)]) -> Self {
        let hosts: Vec<(String, IpAddr)> = hosts
            .iter()
            .map(|(n, ip)| (n.to_string(), ip.parse().expect("an address")))
            .collect();
        Self(Arc::new(move |name| {
            let found: Vec<IpAddr> = hosts.iter().filter(|h| h.0 == name).map(|h| h.1).collect();
            Box::pin(async move {
                match found.is_empty() {
                    true => Err(std::io::Error::other(format!("{name} does not resolve"))),
                    false => Ok(found),
                }
            })
        }))
    }
}

impl Lookup {
    /// The first address of `name` nearer than `bound`, when it resolves here to one: for a
    /// URL sent through a proxy, which resolves it itself (a name that does not resolve here
    /// is left to the proxy).
    pub async fn nearer(&self, name: &str, bound: Reach) -> Option<Refused> {
        let ips = (self.0)(name.to_string()).await.ok()?;
        let ip = ips.into_iter().find(|ip| Reach::of_ip(*ip) > bound)?;
        Some(Refused {
            name: name.to_string(),
            ip,
        })
    }
}

/// True when the environment names a proxy (`HTTPS_PROXY` and the like), through which
/// requests go without cutroom resolving their names.
pub fn proxied() -> bool {
    !proxies().is_empty()
}

/// The hosts no request goes to through a proxy, in `NO_PROXY`'s form: this machine
/// ([`Reach::Local`]), as in Go's `net/http`. A proxy cannot reach the user's loopback (a local
/// emulator), and would be handed a plain-http request whole, the key with it.
const THIS_MACHINE: &str =
    "localhost,127.0.0.0/8,0.0.0.0/8,::1,::,::ffff:127.0.0.0/104,::ffff:0.0.0.0/104";

/// A variable of the environment, unless unset or blank.
fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|s| !s.trim().is_empty())
}

/// The proxy variable (the first set of its list) and setting for requests of `scheme`.
fn proxy_setting(scheme: &str) -> Option<(&'static str, String)> {
    let vars: &[&'static str] = match scheme {
        "https" => &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"],
        _ => &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"],
    };
    vars.iter()
        .find_map(|v| Some((*v, env(v)?.trim().to_string())))
}

/// The proxies the environment names, for the HTTP client: http and https requests each
/// through the first setting of [`proxy_setting`]'s list, except to the hosts `NO_PROXY`
/// names (by name and domain, address or CIDR range, or `*`) and to this machine.
pub(crate) fn client_proxies() -> Vec<reqwest::Proxy> {
    let no = format!(
        "{},{THIS_MACHINE}",
        env("NO_PROXY")
            .or_else(|| env("no_proxy"))
            .unwrap_or_default()
    );
    let made = [
        proxy_setting("http").map(|(_, p)| reqwest::Proxy::http(p)),
        proxy_setting("https").map(|(_, p)| reqwest::Proxy::https(p)),
    ];
    // A setting that is no URL is left out, as reqwest leaves it.
    made.into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|p| p.no_proxy(reqwest::NoProxy::from_string(&no)))
        .collect()
}

/// The proxy setting a request to `url` goes through, as `VAR (URL)` with the URL redacted,
/// when the environment names one for its scheme and neither is its host on this machine nor
/// does `NO_PROXY` exempt it (by name, domain suffix or `*`; an address range is not read
/// here).
pub(crate) fn proxy_for(url: &Url) -> Option<String> {
    let host = url
        .host_str()?
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let exempt = Reach::of_url(url) == Reach::Local
        || env("NO_PROXY")
            .or_else(|| env("no_proxy"))
            .is_some_and(|list| {
                list.split(',').map(str::trim).any(|n| {
                    let n = n.trim_start_matches('.').to_ascii_lowercase();
                    n == "*" || host == n || host.ends_with(&format!(".{n}"))
                })
            });
    let (var, setting) = proxy_setting(url.scheme()).filter(|_| !exempt)?;
    let shown = match Url::parse(&setting) {
        Ok(u) => crate::http::redact_url(&u),
        Err(_) => "(not a URL)".into(),
    };
    Some(format!("{var} ({shown})"))
}

/// The host names of the proxies the environment names.
fn proxies() -> Vec<String> {
    [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .filter_map(|v| std::env::var(v).ok())
    .filter_map(|p| proxy_host(&p))
    .collect()
}

impl std::fmt::Debug for Lookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Lookup")
    }
}

/// A resolver refusing a name any of whose addresses is nearer than `bound` (the proxies the
/// user set in the environment excepted: connecting to them is the user's choice).
pub struct Guard {
    bound: Reach,
    lookup: Lookup,
    proxies: Vec<String>,
}

impl Guard {
    /// A resolver for URLs that may lead as near as `bound`.
    pub fn new(bound: Reach, lookup: Lookup) -> Self {
        Self {
            bound,
            lookup,
            proxies: proxies(),
        }
    }
}

/// The host name of a proxy setting (`http://proxy:3128`, or `proxy:3128` without a scheme).
fn proxy_host(setting: &str) -> Option<String> {
    let setting = setting.trim();
    let url = match setting.contains("://") {
        true => Url::parse(setting),
        false => Url::parse(&format!("http://{setting}")),
    };
    Some(url.ok()?.host_str()?.trim_matches(['[', ']']).to_string())
}

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let name = name.as_str().to_string();
        let checked = self.bound < Reach::Local && !self.proxies.contains(&name);
        let (bound, lookup) = (self.bound, self.lookup.clone());
        Box::pin(async move {
            let ips = (lookup.0)(name.clone()).await?;
            if let Some(&ip) = ips.iter().find(|ip| checked && Reach::of_ip(**ip) > bound) {
                return Err(Box::new(Refused { name, ip }) as _);
            }
            let addrs: Addrs = Box::new(ips.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_placed() {
        let at = |s: &str| Reach::of_ip(s.parse().unwrap());
        for ip in [
            "127.0.0.1",
            "127.9.8.7",
            "0.0.0.0",
            "0.1.2.3",
            "::1",
            "::",
            "::ffff:127.0.0.1",
        ] {
            assert_eq!(at(ip), Reach::Local, "{ip}");
        }
        for ip in [
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
        ] {
            assert_eq!(at(ip), Reach::Private, "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            assert_eq!(at(ip), Reach::Public, "{ip}");
        }
        let url = |s: &str| Reach::of_url(&Url::parse(s).unwrap());
        assert_eq!(url("http://LOCALHOST./x"), Reach::Local);
        assert_eq!(url("http://2130706433/x"), Reach::Local);
        assert_eq!(url("http://[::ffff:c0a8:101]/"), Reach::Private);
        assert_eq!(url("https://cdn.example.net/a"), Reach::Public);
    }

    #[test]
    fn proxies_are_named_by_their_host() {
        assert_eq!(
            proxy_host("http://proxy.corp:3128").as_deref(),
            Some("proxy.corp")
        );
        assert_eq!(proxy_host("proxy.corp:3128").as_deref(), Some("proxy.corp"));
        assert_eq!(proxy_host("http://[::1]:8080").as_deref(), Some("::1"));
    }
}
