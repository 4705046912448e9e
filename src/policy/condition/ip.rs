//! `IpAddress` / `NotIpAddress`: RFC 4632 CIDR blocks or single addresses, IPv4 and IPv6. A
//! request value that is not an IP address (CloudTrail writes service names such as
//! `s3.amazonaws.com` in `sourceIPAddress`) matches no block.

use ipnet::IpNet;
use std::net::IpAddr;

pub fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

pub fn matches(vals: &[Option<IpNet>], v: &str) -> bool {
    let Ok(addr) = v.trim().parse::<IpAddr>() else {
        return false;
    };
    vals.iter().flatten().any(|n| n.contains(&addr))
}
