//! This machine's addresses on its networks: what a room bound to every interface is reached
//! at, for its URLs and for the instructor's first screen. Found without sending anything.

use std::net::{IpAddr, Ipv6Addr};

/// The address this machine would use to reach the outside (connecting a UDP socket picks the
/// outgoing interface; no packet is sent).
pub fn primary() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// Every non-loopback address of this machine's interfaces that another machine can use: the
/// primary one first, then the others (on Linux from `/proc`; elsewhere the primary one only).
/// IPv6 link-local addresses are left out (they need an interface name to be used).
pub fn reachable() -> Vec<IpAddr> {
    let mut found: Vec<IpAddr> = primary().into_iter().collect();
    let mut add = |ip: IpAddr| {
        if !ip.is_loopback() && !ip.is_unspecified() && !found.contains(&ip) {
            found.push(ip);
        }
    };
    if let Ok(text) = std::fs::read_to_string("/proc/net/fib_trie") {
        fib_trie_locals(&text).into_iter().for_each(&mut add);
    }
    if let Ok(text) = std::fs::read_to_string("/proc/net/if_inet6") {
        if_inet6_globals(&text).into_iter().for_each(&mut add);
    }
    found
}

/// The local addresses in `/proc/net/fib_trie`: a `|-- ADDR` line followed by `/32 host LOCAL`.
fn fib_trie_locals(text: &str) -> Vec<IpAddr> {
    let mut last = None;
    let mut found = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("|-- ") {
            last = addr.trim().parse::<IpAddr>().ok();
        } else if line.contains("/32 host LOCAL")
            && let Some(ip) = last
            && !found.contains(&ip)
        {
            found.push(ip);
        }
    }
    found
}

/// The global-scope addresses in `/proc/net/if_inet6` (32 hex digits, index, prefix, scope…).
fn if_inet6_globals(text: &str) -> Vec<IpAddr> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (hex, scope) = (fields.first()?, fields.get(3)?);
            if *scope != "00" || hex.len() != 32 {
                return None;
            }
            let bits = u128::from_str_radix(hex, 16).ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(bits)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_kernels_address_tables() {
        let trie = "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n     \
                    |-- 192.168.1.20\n        /32 host LOCAL\n     |-- 192.168.1.255\n        /32 link BROADCAST\n\
                    Local:\n     |-- 127.0.0.1\n        /32 host LOCAL\n     |-- 192.168.1.20\n        /32 host LOCAL\n";
        let ips = fib_trie_locals(trie);
        assert_eq!(ips, vec![IpAddr::from([192, 168, 1, 20]), IpAddr::from([127, 0, 0, 1])]);
        let inet6 = "00000000000000000000000000000001 01 80 10 80       lo\n\
                     fe800000000000000000000000000001 02 40 20 80     eth0\n\
                     20010db8000000000000000000000005 02 40 00 80     eth0\n";
        assert_eq!(if_inet6_globals(inet6), vec!["2001:db8::5".parse::<IpAddr>().unwrap()]);
        assert!(reachable().iter().all(|ip| !ip.is_loopback() && !ip.is_unspecified()));
    }
}
