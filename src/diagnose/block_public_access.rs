//! Block Public Access: AWS's "public" classification of a bucket policy and ACL, and the rule
//! that neutralizes a grant.
//!
//! AWS (`PublicAccessBlockConfiguration`, "The meaning of public"): a bucket policy is public
//! unless every Allow statement either limits access to a set of CIDRs with `aws:SourceIp`, or
//! grants no "bad action" (`s3:Get*`, `s3:List*`, `s3:Put*`, `s3:Delete*`,
//! `s3:AbortMultipartUpload`, `s3:RestoreObject`) except to a *fixed* principal or under a
//! fixed value of `aws:SourceArn`, `aws:SourceVpc`, `aws:SourceVpce`, `aws:SourceOwner`,
//! `aws:SourceAccount`, `s3:x-amz-server-side-encryption-aws-kms-key-id`, or `aws:userid`
//! outside the pattern `AROLEID:*`. Keys outside this documented list (`aws:PrincipalOrgID`,
//! ...) do not make a statement non-public here, because AWS does not say they do.
//!
//! `RestrictPublicBuckets` (bucket or account level; the most restrictive applies) limits a
//! bucket whose policy is public to AWS service principals and authorized users of the owner
//! account, and blocks "public and cross-account access within any public bucket policy,
//! including non-public delegation to specific accounts". `IgnorePublicAcls` ignores ACL
//! grants to `AllUsers` and `AuthenticatedUsers`.

use super::rule::{RuleHit, RuleOutcome};
use crate::findings::RootCause;
use serde_json::Value;

/// Who is asking, relative to the bucket owner, as BPA cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    Anonymous,
    CrossAccount,
    SameAccount,
    AwsService,
    Unknown,
}

/// `RestrictPublicBuckets` on a bucket whose policy is public: only AWS service principals and
/// the owner account's own users get through; public grants and cross-account grants inside
/// that policy are blocked. Read only when every policy layer allows (the bucket policy's
/// grant is what would have allowed the request).
pub fn check_policy(settings: BpaSettings, policy: Option<&Value>, asker: Asker) -> RuleOutcome {
    if matches!(asker, Asker::SameAccount | Asker::AwsService) {
        return RuleOutcome::Clear;
    }
    let Some(doc) = policy else {
        return RuleOutcome::Clear;
    };
    if !policy_is_public(doc) {
        return RuleOutcome::Clear;
    }
    let who = match asker {
        Asker::Anonymous => "an anonymous caller",
        Asker::CrossAccount => "a caller from another account",
        _ => "a caller whose account is unknown",
    };
    match settings.restrict_public_buckets {
        Some(true) if asker != Asker::Unknown => {
            let mut hit = RuleHit::setting(
                RootCause::BlockPublicAccess,
                format!(
                    "the bucket policy is public (statement {}) and RestrictPublicBuckets blocks its grants to {who}",
                    public_statements(doc).join(", ")
                ),
            );
            hit.fix = super::rule::Fix::PublicPolicy;
            RuleOutcome::Fires(hit)
        }
        Some(true) => RuleOutcome::Unknown(
            "the caller's account (RestrictPublicBuckets applies only to other accounts)"
                .to_owned(),
        ),
        Some(false) => RuleOutcome::Clear,
        None => {
            RuleOutcome::Unknown("Block Public Access settings of the bucket or account".to_owned())
        }
    }
}

/// `IgnorePublicAcls` on a bucket whose ACL grants the needed permission to `AllUsers` or
/// `AuthenticatedUsers`: the grant is ignored. Read when the bucket policy side lacks the
/// Allow (the engine does not evaluate ACLs), so that the public ACL was the only grant.
pub fn check_acl(
    settings: BpaSettings,
    acl: Option<&Value>,
    action: &str,
    asker: Asker,
) -> RuleOutcome {
    if matches!(asker, Asker::SameAccount | Asker::AwsService) {
        return RuleOutcome::Clear;
    }
    let (Some(acl), Some(perm)) = (acl, bucket_acl_permission(action)) else {
        return RuleOutcome::Clear;
    };
    if !acl_public_grant(acl, perm, asker != Asker::Anonymous) {
        return RuleOutcome::Clear;
    }
    match settings.ignore_public_acls {
        Some(true) => {
            let mut hit = RuleHit::setting(
                RootCause::BlockPublicAccess,
                format!("the bucket ACL grants {perm} to the public, and IgnorePublicAcls ignores that grant"),
            );
            hit.fix = super::rule::Fix::PublicAcl;
            RuleOutcome::Fires(hit)
        }
        Some(false) => RuleOutcome::Clear,
        None => {
            RuleOutcome::Unknown("Block Public Access settings of the bucket or account".to_owned())
        }
    }
}

/// The four BPA switches, already combined across bucket and account level (OR: the most
/// restrictive wins). `None` for a switch means the snapshot does not say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BpaSettings {
    pub block_public_acls: Option<bool>,
    pub ignore_public_acls: Option<bool>,
    pub block_public_policy: Option<bool>,
    pub restrict_public_buckets: Option<bool>,
}

impl BpaSettings {
    /// Reads `get-public-access-block` output (`{"PublicAccessBlockConfiguration": {...}}`) or
    /// the bare configuration object.
    pub fn from_json(v: &Value) -> BpaSettings {
        let c = v.get("PublicAccessBlockConfiguration").unwrap_or(v);
        let b = |k: &str| c.get(k).and_then(Value::as_bool);
        BpaSettings {
            block_public_acls: b("BlockPublicAcls"),
            ignore_public_acls: b("IgnorePublicAcls"),
            block_public_policy: b("BlockPublicPolicy"),
            restrict_public_buckets: b("RestrictPublicBuckets"),
        }
    }

    /// The most restrictive of two levels: a switch on at either level is on; off only when
    /// both say off; unknown otherwise.
    pub fn combine(self, other: BpaSettings) -> BpaSettings {
        fn or(a: Option<bool>, b: Option<bool>) -> Option<bool> {
            match (a, b) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            }
        }
        BpaSettings {
            block_public_acls: or(self.block_public_acls, other.block_public_acls),
            ignore_public_acls: or(self.ignore_public_acls, other.ignore_public_acls),
            block_public_policy: or(self.block_public_policy, other.block_public_policy),
            restrict_public_buckets: or(
                self.restrict_public_buckets,
                other.restrict_public_buckets,
            ),
        }
    }
}

/// Values of a string-or-array JSON field.
fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The statements of a policy document (object or array form).
pub fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

const BAD_PREFIXES: [&str; 4] = ["s3:get", "s3:list", "s3:put", "s3:delete"];
const BAD_EXACT: [&str; 2] = ["s3:abortmultipartupload", "s3:restoreobject"];

/// Whether an action pattern of a statement can match a bad action.
fn pattern_is_bad(pattern: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    if p == "*" || p == "s3:*" {
        return true;
    }
    if !p.starts_with("s3:") {
        return false;
    }
    // A wildcard pattern is bad when it can match any bad action; approximate by checking the
    // literal prefix before the first wildcard against the bad families.
    let literal: &str = p.split(['*', '?']).next().unwrap_or("");
    let wild = p.contains('*') || p.contains('?');
    BAD_PREFIXES
        .iter()
        .any(|b| p.starts_with(b) || (wild && b.starts_with(literal)))
        || BAD_EXACT
            .iter()
            .any(|b| p == *b || (wild && b.starts_with(literal)))
}

fn grants_bad_action(stmt: &Value) -> bool {
    if stmt.get("NotAction").is_some() {
        // NotAction grants everything but the listed actions: treat as bad unless it excludes
        // every family, which no real policy does.
        return true;
    }
    strings(stmt.get("Action")).into_iter().any(pattern_is_bad)
}

/// A principal value is fixed when it names no wildcard.
fn principal_is_fixed(stmt: &Value) -> bool {
    if stmt.get("NotPrincipal").is_some() {
        return false;
    }
    match stmt.get("Principal") {
        None => false,
        Some(Value::String(s)) => !s.contains('*'),
        Some(Value::Object(m)) => {
            let vals: Vec<&str> = m.values().flat_map(|v| strings(Some(v))).collect();
            !vals.is_empty() && vals.iter().all(|v| !v.contains('*') && !v.contains('?'))
        }
        Some(_) => false,
    }
}

const FIXING_KEYS: [&str; 7] = [
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:sourceowner",
    "aws:sourceaccount",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "aws:userid",
];

/// Whether the statement's conditions pin it to fixed values of a documented key, or to a set
/// of CIDRs with `aws:SourceIp`.
fn condition_fixes(stmt: &Value) -> bool {
    let Some(Value::Object(ops)) = stmt.get("Condition") else {
        return false;
    };
    for (op, block) in ops {
        let op_l = op.to_ascii_lowercase();
        let Value::Object(keys) = block else { continue };
        if op_l.contains("ifexists") || op_l.starts_with("not") || op_l.starts_with("stringnot") {
            // `...IfExists` passes when the key is absent; negated operators admit everyone
            // but the listed values: neither pins access down.
            continue;
        }
        for (key, vals) in keys {
            let k = key.to_ascii_lowercase();
            let vals = strings(Some(vals));
            if vals.is_empty() {
                continue;
            }
            if k == "aws:sourceip" && op_l.starts_with("ipaddress") {
                if vals.iter().all(|c| !c.ends_with("/0")) {
                    return true;
                }
                continue;
            }
            if !FIXING_KEYS.contains(&k.as_str()) {
                continue;
            }
            let exact = op_l.starts_with("stringequals") || op_l.starts_with("arnequals");
            let like = op_l.starts_with("stringlike") || op_l.starts_with("arnlike");
            let fixed = vals.iter().all(|v| {
                if k == "aws:userid" {
                    // `AROLEID:*` (any session of one role) is documented as not fixed.
                    !v.contains('*') && !v.contains('?')
                } else {
                    !v.contains('*') && !v.contains('?')
                }
            });
            if (exact || like) && fixed {
                return true;
            }
        }
    }
    false
}

/// Whether one Allow statement makes the policy public.
pub fn statement_is_public(stmt: &Value) -> bool {
    let effect = stmt.get("Effect").and_then(Value::as_str).unwrap_or("");
    if !effect.eq_ignore_ascii_case("allow") {
        return false;
    }
    if !grants_bad_action(stmt) {
        return false;
    }
    !(principal_is_fixed(stmt) || condition_fixes(stmt))
}

/// AWS's classification of a bucket policy document.
pub fn policy_is_public(doc: &Value) -> bool {
    statements(doc).into_iter().any(statement_is_public)
}

/// The statements of a public policy that make it public, as `Sid` or `#N`.
pub fn public_statements(doc: &Value) -> Vec<String> {
    statements(doc)
        .into_iter()
        .enumerate()
        .filter(|(_, s)| statement_is_public(s))
        .map(|(i, s)| {
            s.get("Sid")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("#{i}"))
        })
        .collect()
}

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTH_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The ACL permission an S3 action needs (`READ`, `WRITE`, `READ_ACP`, `WRITE_ACP`), for the
/// bucket-level actions an ACL can grant.
pub fn bucket_acl_permission(action: &str) -> Option<&'static str> {
    match action.to_ascii_lowercase().as_str() {
        "s3:listbucket" | "s3:listbucketversions" | "s3:listbucketmultipartuploads" => Some("READ"),
        "s3:putobject" | "s3:deleteobject" => Some("WRITE"),
        "s3:getbucketacl" => Some("READ_ACP"),
        "s3:putbucketacl" => Some("WRITE_ACP"),
        _ => None,
    }
}

/// Whether a `get-bucket-acl` document grants `permission` to the public groups (`AllUsers`,
/// or `AuthenticatedUsers` when the caller is authenticated).
pub fn acl_public_grant(acl: &Value, permission: &str, authenticated: bool) -> bool {
    let Some(Value::Array(grants)) = acl.get("Grants") else {
        return false;
    };
    grants.iter().any(|g| {
        let perm = g.get("Permission").and_then(Value::as_str).unwrap_or("");
        let uri = g
            .get("Grantee")
            .and_then(|x| x.get("URI"))
            .and_then(Value::as_str)
            .unwrap_or("");
        (perm == permission || perm == "FULL_CONTROL")
            && (uri == ALL_USERS || (authenticated && uri == AUTH_USERS))
    })
}

/// The Block Public Access rule as registered in [`super::rules::RULES`]: the effective
/// settings (bucket and account), the bucket policy the engine judged, then the bucket ACL.
pub struct Rule;

impl super::rule::S3Rule for Rule {
    fn name(&self) -> &'static str {
        "block_public_access"
    }

    fn check(
        &self,
        cx: &super::rule::RuleCx<'_>,
        _extras: &mut super::rule::RuleExtras,
    ) -> Option<RuleOutcome> {
        use crate::policy::{Known, PrincipalKind};
        let asker = match cx.request.principal.kind {
            PrincipalKind::Anonymous => Asker::Anonymous,
            PrincipalKind::Service => Asker::AwsService,
            _ => match cx.same_account {
                Some(true) => Asker::SameAccount,
                Some(false) => Asker::CrossAccount,
                None => Asker::Unknown,
            },
        };
        let settings = match cx.snapshot.effective_public_access_block(cx.bucket) {
            Known::Known(Some(p)) => BpaSettings {
                block_public_acls: Some(p.block_public_acls),
                ignore_public_acls: Some(p.ignore_public_acls),
                block_public_policy: Some(p.block_public_policy),
                restrict_public_buckets: Some(p.restrict_public_buckets),
            },
            Known::Known(None) => BpaSettings {
                block_public_acls: Some(false),
                ignore_public_acls: Some(false),
                block_public_policy: Some(false),
                restrict_public_buckets: Some(false),
            },
            Known::Unknown(_) => BpaSettings::default(),
        };
        let policy_doc = match &cx.input.resource {
            Known::Known(Some(p)) => Some(p.document.clone()),
            _ => None,
        };
        let mut outcome = check_policy(settings, policy_doc.as_ref(), asker);
        if outcome == RuleOutcome::Clear {
            if let Known::Known(b) = cx.snapshot.bucket(cx.bucket) {
                if let Known::Known(acl) = &b.acl {
                    let acl_json = acl_to_json(acl);
                    outcome = check_acl(settings, Some(&acl_json), &cx.request.action, asker);
                }
            }
        }
        Some(outcome)
    }
}

/// The snapshot's ACL as the `get-bucket-acl` JSON the BPA check reads.
fn acl_to_json(acl: &crate::snapshot::Acl) -> serde_json::Value {
    use crate::snapshot::Grantee;
    let grants: Vec<serde_json::Value> = acl
        .grants
        .iter()
        .map(|g| {
            let grantee = match &g.grantee {
                Grantee::Group(uri) => serde_json::json!({"Type": "Group", "URI": uri}),
                Grantee::CanonicalUser(id) => {
                    serde_json::json!({"Type": "CanonicalUser", "ID": id})
                }
                Grantee::Email(e) => {
                    serde_json::json!({"Type": "AmazonCustomerByEmail", "EmailAddress": e})
                }
                Grantee::Other(t) => serde_json::json!({"Type": t}),
            };
            serde_json::json!({"Grantee": grantee, "Permission": g.permission})
        })
        .collect();
    serde_json::json!({"Grants": grants})
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// "The meaning of public": Principal `*` with s3:GetObject and no condition is public.
    #[test]
    fn wildcard_principal_with_get_is_public() {
        let d = json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}});
        assert!(policy_is_public(&d));
        assert_eq!(public_statements(&d), vec!["#0".to_owned()]);
    }

    /// A fixed principal (account, role ARN) is not public.
    #[test]
    fn fixed_principal_is_not_public() {
        let d = json!({"Statement": [{"Sid": "X", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::222233334444:root"}, "Action": "s3:*", "Resource": "*"}]});
        assert!(!policy_is_public(&d));
    }

    /// aws:SourceIp CIDR limits make it non-public; 0.0.0.0/0 does not.
    #[test]
    fn source_ip_cidr_is_not_public_unless_everything() {
        let mut d = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]});
        assert!(!policy_is_public(&d));
        d["Statement"][0]["Condition"]["IpAddress"]["aws:SourceIp"] = json!("0.0.0.0/0");
        assert!(policy_is_public(&d));
    }

    /// Fixed aws:SourceVpce pins it; a wildcard value, an IfExists operator, or an
    /// undocumented key (aws:PrincipalOrgID) does not.
    #[test]
    fn fixed_condition_keys() {
        let mk = |op: &str, k: &str, v: &str| json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*", "Condition": {op: {k: v}}}]});
        assert!(!policy_is_public(&mk(
            "StringEquals",
            "aws:SourceVpce",
            "vpce-1"
        )));
        assert!(policy_is_public(&mk(
            "StringLike",
            "aws:SourceVpce",
            "vpce-*"
        )));
        assert!(policy_is_public(&mk(
            "StringEqualsIfExists",
            "aws:SourceVpce",
            "vpce-1"
        )));
        assert!(policy_is_public(&mk(
            "StringEquals",
            "aws:PrincipalOrgID",
            "o-1"
        )));
        assert!(policy_is_public(&mk(
            "StringLike",
            "aws:userid",
            "AROA123:*"
        )));
    }

    /// Granting no bad action to `*` (e.g. s3:GetBucketLocation is `s3:Get*`: bad) vs a
    /// non-S3 action.
    #[test]
    fn only_bad_actions_make_it_public() {
        let d = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]});
        assert!(!policy_is_public(&d));
        let d = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:Ge*", "Resource": "*"}]});
        assert!(policy_is_public(&d));
        let deny = json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]});
        assert!(!policy_is_public(&deny));
    }

    /// The most restrictive of bucket and account settings applies.
    #[test]
    fn settings_combine_most_restrictive() {
        let b = BpaSettings::from_json(
            &json!({"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": false, "IgnorePublicAcls": false}}),
        );
        let a = BpaSettings::from_json(
            &json!({"PublicAccessBlockConfiguration": {"RestrictPublicBuckets": true}}),
        );
        let c = b.combine(a);
        assert_eq!(c.restrict_public_buckets, Some(true));
        assert_eq!(c.ignore_public_acls, None);
    }

    fn on() -> BpaSettings {
        BpaSettings {
            restrict_public_buckets: Some(true),
            ignore_public_acls: Some(true),
            ..BpaSettings::default()
        }
    }

    /// RestrictPublicBuckets: a public policy's grant to an anonymous caller is blocked.
    #[test]
    fn restrict_public_buckets_blocks_anonymous_grant_in_public_policy() {
        let d = json!({"Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]});
        let o = check_policy(on(), Some(&d), Asker::Anonymous);
        assert!(
            matches!(o, RuleOutcome::Fires(ref h) if h.detail.contains("PublicRead")),
            "{o:?}"
        );
        // The owner account's own users are not affected.
        assert_eq!(
            check_policy(on(), Some(&d), Asker::SameAccount),
            RuleOutcome::Clear
        );
    }

    /// "including non-public delegation to specific accounts": a cross-account grant inside a
    /// public policy is blocked too; a non-public policy is not affected.
    #[test]
    fn restrict_public_buckets_blocks_cross_account_only_inside_public_policy() {
        let public = json!({"Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": "333333333333"}, "Action": "s3:PutObject", "Resource": "*"}]});
        assert!(matches!(
            check_policy(on(), Some(&public), Asker::CrossAccount),
            RuleOutcome::Fires(_)
        ));
        let private = json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "333333333333"}, "Action": "s3:PutObject", "Resource": "*"}]});
        assert_eq!(
            check_policy(on(), Some(&private), Asker::CrossAccount),
            RuleOutcome::Clear
        );
    }

    /// IgnorePublicAcls ignores a public ACL grant.
    #[test]
    fn ignore_public_acls_neutralizes_public_acl() {
        let acl = json!({"Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]});
        let o = check_acl(on(), Some(&acl), "s3:ListBucket", Asker::Anonymous);
        assert!(matches!(o, RuleOutcome::Fires(_)));
        let off = BpaSettings {
            ignore_public_acls: Some(false),
            ..BpaSettings::default()
        };
        assert_eq!(
            check_acl(off, Some(&acl), "s3:ListBucket", Asker::Anonymous),
            RuleOutcome::Clear
        );
    }

    #[test]
    fn acl_grants_to_all_users() {
        let acl = json!({"Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}]});
        assert!(acl_public_grant(&acl, "READ", false));
        assert!(!acl_public_grant(&acl, "WRITE", true));
    }
}
