//! A deliberately naive second evaluator, written straight from AWS's evaluation-logic pages
//! and working on the raw JSON documents (not the compiled forms), so that a bug in parsing
//! or compiling shows up as a disagreement (cedar's differential testing idea).
//!
//! It supports only what the scenarios use and answers `None` when it meets anything else
//! (an operator it does not know, a key with no value in the context, a hidden caller ARN),
//! so a comparison is only made where it has an opinion.

use crate::policy::{AuthzInput, Decision, Known, PolicyRef, PrincipalKind, Request};
use serde_json::Value;

/// Recursive glob, the obvious way.
fn glob(p: &[u8], t: &[u8]) -> bool {
    match (p.first(), t.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob(&p[1..], t) || (!t.is_empty() && glob(p, &t[1..])),
        (Some(b'?'), Some(_)) => glob(&p[1..], &t[1..]),
        (Some(a), Some(b)) if a == b => glob(&p[1..], &t[1..]),
        _ => false,
    }
}

fn arn_like(p: &str, v: &str) -> bool {
    if p == "*" {
        return true;
    }
    if !p.starts_with("arn:") {
        return glob(p.as_bytes(), v.as_bytes());
    }
    let ps: Vec<&str> = p.splitn(6, ':').collect();
    let vs: Vec<&str> = v.splitn(6, ':').collect();
    ps.len() == vs.len()
        && ps
            .iter()
            .zip(&vs)
            .all(|(a, b)| glob(a.as_bytes(), b.as_bytes()))
}

fn list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect(),
        Some(Value::Bool(b)) => vec![b.to_string()],
        Some(Value::Number(n)) => vec![n.to_string()],
        _ => vec![],
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o) => vec![o],
        None => vec![],
    }
}

/// How a `Principal` element named the caller: 3 = the caller itself or `*`, 2 = its role or
/// federating user, 1 = its account, 0 = not at all.
fn principal_strength(p: &Value, r: &Request) -> u8 {
    if p == "*" {
        return 3;
    }
    let pr = &r.principal;
    let mut best = 0;
    for s in list(p.get("AWS")) {
        let s = s.as_str();
        let acct = pr.account.as_deref().unwrap_or("-");
        let strength = if s == "*" || Some(s) == pr.arn.as_deref() {
            3
        } else if Some(s) == pr.role_arn.as_deref() {
            2
        } else if s == acct || s == format!("arn:aws:iam::{acct}:root") {
            1
        } else {
            0
        };
        if pr.kind == PrincipalKind::Anonymous && s != "*" {
            continue;
        }
        best = best.max(strength);
    }
    best
}

/// `NotPrincipal`, from the page's text: a Deny spares the caller named by its own ARN (a
/// session also needs its role listed); an Allow excludes a caller named by its own ARN.
/// `None` where the page allows both outcomes.
fn not_principal_applies(np: &Value, r: &Request, deny: bool) -> Option<bool> {
    let pr = &r.principal;
    if np == "*" {
        return Some(false);
    }
    let names = list(np.get("AWS"));
    let has = |x: Option<&str>| x.is_some_and(|x| names.iter().any(|n| n == x));
    let acct = pr.account.clone().unwrap_or_default();
    let acct_listed = names
        .iter()
        .any(|n| *n == acct || *n == format!("arn:aws:iam::{acct}:root"));
    let own = has(pr.arn.as_deref());
    let parent = has(pr.role_arn.as_deref());
    let session = matches!(
        pr.kind,
        PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
    );
    if pr.kind == PrincipalKind::Root {
        return Some(!(own || acct_listed));
    }
    if deny {
        if !session {
            return Some(!own);
        }
        return match (own, parent) {
            (true, true) => Some(false),
            (true, false) => None,
            (false, true) if acct_listed => None,
            _ => Some(true),
        };
    }
    if own {
        Some(false)
    } else if parent || acct_listed {
        None
    } else {
        Some(true)
    }
}

/// IPv4 only, by hand: `Some(in block)`, `None` for anything else.
fn ipv4_in(cidr: &str, ip: &str) -> Option<bool> {
    let quad = |s: &str| -> Option<u32> {
        let parts: Vec<u32> = s
            .split('.')
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        (parts.len() == 4 && parts.iter().all(|p| *p < 256))
            .then(|| parts.iter().fold(0, |a, p| (a << 8) | p))
    };
    let (net, bits) = cidr.split_once('/').unwrap_or((cidr, "32"));
    let bits: u32 = bits.parse().ok().filter(|b| *b <= 32)?;
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    Some(quad(net)? & mask == quad(ip)? & mask)
}

/// One request value against one policy value, by operator family (positive sense);
/// `None` for a family the oracle does not know.
fn value_hit(base: &str, policy: &str, x: &str) -> Option<bool> {
    Some(match base {
        "StringEquals" => policy == x,
        "StringEqualsIgnoreCase" => policy.to_lowercase() == x.to_lowercase(),
        "StringLike" => glob(policy.as_bytes(), x.as_bytes()),
        "ArnLike" | "ArnEquals" => arn_like(policy, x),
        "IpAddress" => ipv4_in(policy, x)?,
        "Bool" => policy.eq_ignore_ascii_case(x),
        _ => return None,
    })
}

/// `Some(true)` when the condition block holds, `None` when it cannot say.
fn conditions(c: Option<&Value>, r: &Request) -> Option<bool> {
    let Some(c) = c.and_then(Value::as_object) else {
        return Some(true);
    };
    for (op, body) in c {
        for (key, vals) in body.as_object()? {
            let vals = list(Some(vals));
            if vals.iter().any(|v| v.contains("${")) {
                return None;
            }
            let got = match r.context.get(key) {
                crate::policy::KeyState::Present([]) => None,
                crate::policy::KeyState::Present(v) => Some(v.to_vec()),
                crate::policy::KeyState::Absent => None,
                crate::policy::KeyState::Unknown | crate::policy::KeyState::NotMatching(_) => {
                    return None
                }
            };
            let (set, rest) = if let Some(r) = op.strip_prefix("ForAnyValue:") {
                (Some(true), r)
            } else if let Some(r) = op.strip_prefix("ForAllValues:") {
                (Some(false), r)
            } else {
                (None, op.as_str())
            };
            let (base, if_exists) = match rest.strip_suffix("IfExists") {
                Some(b) => (b, true),
                None => (rest, false),
            };
            let (base, negated) = match base {
                "StringNotEquals" => ("StringEquals", true),
                "StringNotEqualsIgnoreCase" => ("StringEqualsIgnoreCase", true),
                "StringNotLike" => ("StringLike", true),
                "ArnNotLike" => ("ArnLike", true),
                "ArnNotEquals" => ("ArnEquals", true),
                "NotIpAddress" => ("IpAddress", true),
                b => (b, false),
            };
            let ok = match (base, &got) {
                ("Null", g) => vals.iter().any(|v| (v == "true") == g.is_none()),
                (_, None) => match set {
                    Some(any) => !any,
                    None => if_exists || negated,
                },
                (_, Some(g)) => {
                    let mut per_value = Vec::new();
                    for x in g {
                        let mut hit = false;
                        for v in &vals {
                            hit |= value_hit(base, v, x)?;
                        }
                        per_value.push(hit != negated);
                    }
                    match set {
                        Some(true) => per_value.contains(&true),
                        Some(false) => !per_value.contains(&false),
                        None if negated => !per_value.contains(&false),
                        None => per_value.contains(&true),
                    }
                }
            };
            if !ok {
                return Some(false);
            }
        }
    }
    Some(true)
}

/// Does the statement apply? `Some((applies, principal strength))`.
fn applies(
    s: &Value,
    r: &Request,
    has_boundary: bool,
    resource_policy: bool,
) -> Option<(bool, u8)> {
    let action = r.action.to_ascii_lowercase();
    let act = |k: &str| {
        list(s.get(k))
            .iter()
            .any(|a| glob(a.to_ascii_lowercase().as_bytes(), action.as_bytes()))
    };
    let action_ok = if s.get("NotAction").is_some() {
        !act("NotAction")
    } else {
        act("Action")
    };
    let res = |k: &str| {
        list(s.get(k))
            .iter()
            .any(|p| !p.contains("${") && arn_like(p, &r.resource))
    };
    if list(s.get("Resource"))
        .iter()
        .chain(list(s.get("NotResource")).iter())
        .any(|p| p.contains("${"))
    {
        return None;
    }
    let resource_ok = if s.get("NotResource").is_some() {
        !res("NotResource")
    } else {
        s.get("Resource").is_none() || res("Resource")
    };
    let mut strength = 3;
    let principal_ok = if let Some(p) = s.get("Principal") {
        strength = principal_strength(p, r);
        strength > 0
    } else if let Some(np) = s.get("NotPrincipal") {
        let deny = s.get("Effect") == Some(&Value::from("Deny"));
        (deny && has_boundary) || not_principal_applies(np, r, deny)?
    } else {
        // A resource-based policy statement must name a principal; without one it names nobody.
        !resource_policy
    };
    if !(action_ok && resource_ok && principal_ok) {
        return Some((false, strength));
    }
    Some((conditions(s.get("Condition"), r)?, strength))
}

struct Found {
    deny: bool,
    allow: bool,
    /// Strongest principal form among applicable Allows.
    strength: u8,
}

fn scan(
    policies: &[PolicyRef],
    r: &Request,
    has_boundary: bool,
    resource_policy: bool,
) -> Option<Found> {
    let mut f = Found {
        deny: false,
        allow: false,
        strength: 0,
    };
    for p in policies {
        for s in statements(&p.document) {
            let (ok, strength) = applies(s, r, has_boundary, resource_policy)?;
            if !ok {
                continue;
            }
            if s.get("Effect") == Some(&Value::from("Deny")) {
                f.deny = true;
            } else {
                f.allow = true;
                f.strength = f.strength.max(strength);
            }
        }
    }
    Some(f)
}

fn known<T: Clone>(k: &Known<T>) -> Option<T> {
    match k {
        Known::Known(v) => Some(v.clone()),
        Known::Unknown(_) => None,
    }
}

/// The oracle's decision, or `None` when it has no opinion.
///
/// A key known only *not* to match some patterns ([`crate::policy::KeyState::NotMatching`])
/// is decided the naive way: by trying every world the oracle can think of (the key absent,
/// or present with one or two sample values outside the exclusion, drawn from the policies'
/// own values and their wildcard instances). The answer is the worlds' common decision, or
/// no opinion when they differ.
pub fn decide(r: &Request, input: &AuthzInput) -> Option<Decision> {
    let mut worlds = vec![r.clone()];
    for (key, excluded) in &r.context.not_matching {
        let samples = samples(key, excluded, input);
        let mut next = Vec::new();
        for w in &worlds {
            let mut absent = w.clone();
            absent.context.mark_absent(key);
            next.push(absent);
            for (i, a) in samples.iter().enumerate() {
                let mut one = w.clone();
                one.context.set(key, a.clone());
                next.push(one);
                for b in &samples[i + 1..] {
                    let mut two = w.clone();
                    two.context.set_many(key, vec![a.clone(), b.clone()]);
                    next.push(two);
                }
            }
        }
        worlds = next;
    }
    let mut answer = None;
    for w in &worlds {
        let d = decide_concrete(w, input)?;
        match answer {
            None => answer = Some(d),
            Some(a) if a != d => return None,
            Some(_) => {}
        }
    }
    answer
}

/// Sample values of `key` outside the exclusion: the policies' values for that key with
/// their wildcards filled in several ways, in both letter cases, plus an unrelated value.
fn samples(key: &str, excluded: &[String], input: &AuthzInput) -> Vec<String> {
    let mut raw: Vec<String> = vec!["zz-other".into()];
    raw.extend(excluded.iter().cloned());
    let mut docs: Vec<&Value> = Vec::new();
    if let Known::Known(v) = &input.identity {
        docs.extend(v.iter().map(|p| &p.document));
    }
    for k in [&input.boundary, &input.resource, &input.vpc_endpoint] {
        if let Known::Known(Some(p)) = k {
            docs.push(&p.document);
        }
    }
    if let Known::Known(Some(v)) = &input.session {
        docs.extend(v.iter().map(|p| &p.document));
    }
    for k in [&input.scp, &input.rcp] {
        if let Known::Known(Some(levels)) = k {
            for l in levels {
                docs.extend(l.policies.iter().map(|p| &p.document));
            }
        }
    }
    for d in docs {
        for s in statements(d) {
            let Some(c) = s.get("Condition").and_then(Value::as_object) else {
                continue;
            };
            for body in c.values().filter_map(Value::as_object) {
                for (k, vals) in body {
                    if k.eq_ignore_ascii_case(key) {
                        raw.extend(list(Some(vals)));
                    }
                }
            }
        }
    }
    let mut out: Vec<String> = Vec::new();
    for v in raw {
        for fill in ["", "x", "/x/"] {
            let inst = v.replace('*', fill).replace('?', "x");
            for cand in [
                v.clone(),
                inst.clone(),
                inst.to_uppercase(),
                format!("{inst}x"),
            ] {
                let outside = !excluded.iter().any(|e| glob(e.as_bytes(), cand.as_bytes()));
                if outside && !out.contains(&cand) {
                    out.push(cand);
                }
            }
        }
    }
    out
}

fn decide_concrete(r: &Request, input: &AuthzInput) -> Option<Decision> {
    let boundary: Vec<PolicyRef> = known(&input.boundary)?.into_iter().collect();
    let has_boundary = !boundary.is_empty();
    let session: Option<Vec<PolicyRef>> = known(&input.session)?;
    // An action without a resource (`*`): no resource policy, no RCP, no resource account.
    let resourceless = r.resource == "*";
    let resource: Vec<PolicyRef> = if resourceless {
        Vec::new()
    } else {
        known(&input.resource)?.into_iter().collect()
    };
    let vpce: Vec<PolicyRef> = known(&input.vpc_endpoint)?.into_iter().collect();
    let identity = known(&input.identity)?;
    let scp = known(&input.scp)?;
    let rcp = if resourceless {
        None
    } else {
        known(&input.rcp)?
    };
    let anon = matches!(
        r.principal.kind,
        PrincipalKind::Anonymous | PrincipalKind::Service
    );
    if r.principal.arn.is_none() && !anon {
        return None;
    }

    // 1. Any explicit deny anywhere.
    let id = scan(&identity, r, has_boundary, false)?;
    let b = scan(&boundary, r, has_boundary, false)?;
    let s = scan(session.as_deref().unwrap_or(&[]), r, has_boundary, false)?;
    let res = scan(&resource, r, has_boundary, true)?;
    let v = scan(&vpce, r, has_boundary, false)?;
    let mut org_levels = Vec::new();
    for levels in [&rcp, &scp].into_iter().flatten() {
        for l in levels {
            org_levels.push(scan(&l.policies, r, has_boundary, false)?);
        }
    }
    let mut any_deny = org_levels.iter().any(|f| f.deny) || res.deny || v.deny;
    if !anon {
        any_deny |= id.deny || b.deny || s.deny;
    }
    if any_deny {
        return Some(Decision::ExplicitDeny);
    }
    // 2-3. Every RCP and SCP level must allow.
    if org_levels.iter().any(|f| !f.allow) {
        return Some(Decision::ImplicitDeny);
    }
    // 4. The endpoint policy must allow.
    if !vpce.is_empty() && !v.allow {
        return Some(Decision::ImplicitDeny);
    }
    let grant = |f: Decision| Some(f);
    if anon {
        return grant(if res.allow {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        });
    }
    let root = r.principal.kind == PrincipalKind::Root;
    let id_allow = root || id.allow;
    let b_ok = !has_boundary || b.allow;
    let s_ok = session.is_none() || s.allow;
    let caller_side = id_allow && b_ok && s_ok;
    let same = resourceless || r.principal.account.as_ref()? == r.resource_account.as_ref()?;
    let allowed = if same {
        caller_side
            || (res.allow && res.strength == 3)
            || (res.allow && res.strength == 2 && b_ok && s_ok)
    } else {
        res.allow && caller_side
    };
    grant(if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    })
}
