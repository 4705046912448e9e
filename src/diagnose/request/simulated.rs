//! The request `simulate` describes on its command line, typed and built here beside a
//! record's, with the same helpers: the caller's keys ([`principal_context`]), the resource
//! owner's ([`resource_account_keys`]), the VPC endpoint's ([`endpoint_keys`],
//! [`ENDPOINT_ONLY`]), so that a simulated request and a logged one cannot drift apart. What
//! only a command line has stays here: the keys a request carries only when it says so
//! (absent unless given), `aws:CurrentTime` now, and the keys given with `--context` and
//! `--absent`, which override whatever was derived.

use super::keys::{endpoint_keys, resource_account_keys, ENDPOINT_ONLY};
use super::principal::{principal_context, principal_from_arn};
use super::{Headers, S3Call};
use crate::policy::{Context, Known, Principal, PrincipalKind, Request};
use crate::snapshot::{s3_bucket_and_key, Arn, Entity, Snapshot};
use chrono::{DateTime, Utc};
use std::borrow::Cow;

/// What the command line says of one request.
#[derive(Debug, Clone, Copy)]
pub struct Simulated<'a> {
    pub principal: &'a Principal,
    pub action: &'a str,
    /// An ARN, or `*`.
    pub resource: &'a str,
    /// `--context KEY=VALUE`, in order; a key given more than once is multi-valued.
    pub context: &'a [(String, String)],
    /// `--absent KEY`.
    pub absent: &'a [String],
}

/// Keys a logged request carries only when the call has them (a list parameter, an optional
/// header, a call made through another service): absent unless given.
const REQUEST_SHAPE_ABSENT: &[&str] = &[
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "s3:prefix",
    "s3:delimiter",
    "s3:max-keys",
    "s3:versionid",
    "s3:x-amz-acl",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-copy-source",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-request-payer",
];

impl<'a> Simulated<'a> {
    /// A key given with `--context` (first value; names compared case-blind).
    fn given(&self, key: &str) -> Option<&'a str> {
        self.context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// The S3 call, typed as [`S3Call::from_event`] types a record's: bucket and key from the
    /// resource ARN (and its partition), the region from `aws:RequestedRegion`, and the
    /// headers the S3 rules read from the `s3:` keys given with `--context`
    /// (`s3:x-amz-request-payer=requester`, `s3:x-amz-server-side-encryption=aws:kms`, ...).
    /// No time and no logs: nothing to join with. A session's policies are found under
    /// `session_key`.
    pub fn call(&self, session_key: &'a str) -> S3Call<'a> {
        let (bucket, key) = match s3_bucket_and_key(self.resource) {
            Some((b, k)) => (Some(Cow::Borrowed(b)), k.map(Cow::Borrowed)),
            None => (None, None),
        };
        let partition = match Arn::parse(self.resource).map(|a| a.partition) {
            Some("aws-cn") => "aws-cn",
            Some("aws-us-gov") => "aws-us-gov",
            _ => "aws",
        };
        S3Call {
            api: None,
            bucket,
            key,
            partition,
            region: self.given("aws:RequestedRegion"),
            time: None,
            caller_arn: self.principal.arn.as_deref(),
            access_key_id: matches!(
                self.principal.kind,
                PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
            )
            .then_some(session_key),
            logged: Default::default(),
            headers: Headers {
                request_payer: self.given("s3:x-amz-request-payer"),
                acl: self.given("s3:x-amz-acl"),
                grant: false,
                tagging: false,
                sse: self.given("s3:x-amz-server-side-encryption"),
                sse_kms_key_id: self.given("s3:x-amz-server-side-encryption-aws-kms-key-id"),
                sse_bucket_key_enabled: None,
                sse_customer_algorithm: None,
                copy_source: self.given("s3:x-amz-copy-source"),
                version_id: self.given("s3:versionid"),
                bypass_governance: false,
            },
        }
    }

    /// The engine's request at time `now`, and what could not be filled in.
    pub fn request(&self, snapshot: &Snapshot, now: DateTime<Utc>) -> (Request, Vec<String>) {
        let mut notes: Vec<String> = Vec::new();
        // With the snapshot, a session's role ARN gets its path.
        let principal = match self.principal.arn.as_deref() {
            Some(arn) if arn.contains(":assumed-role/") => {
                principal_from_arn(arn, snapshot).unwrap_or_else(|_| self.principal.clone())
            }
            _ => self.principal.clone(),
        };
        let mut ctx = Context::default();
        for k in REQUEST_SHAPE_ABSENT {
            ctx.mark_absent(k);
        }
        ctx.set("aws:ViaAWSService", "false");
        ctx.set(
            "aws:CurrentTime",
            now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        );
        ctx.set("aws:EpochTime", now.timestamp().to_string());
        principal_context(&principal, snapshot, &mut ctx, &mut notes);
        if let Known::Known(Some(entity)) = snapshot.entity(&principal) {
            // aws:userid is the unique id (users) or `role-id:session` (sessions).
            match entity {
                Entity::User(u) if !u.id.is_empty() => ctx.set("aws:userid", &u.id),
                Entity::Role(r) if !r.id.is_empty() => {
                    let session = principal
                        .arn
                        .as_deref()
                        .and_then(|a| a.rsplit('/').next())
                        .unwrap_or("simulate");
                    ctx.set("aws:userid", format!("{}:{session}", r.id));
                }
                _ => {}
            }
        }
        let mut req = Request {
            principal,
            action: self.action.to_owned(),
            resource: self.resource.to_owned(),
            resource_account: None,
            context: Context::default(),
        };
        req.resource_account = snapshot.resource_account(&req);
        match req.resource_account.as_deref() {
            Some(acct) => {
                let s3 = s3_bucket_and_key(&req.resource).is_some();
                resource_account_keys(acct, s3, snapshot, &mut ctx, &mut notes);
            }
            None if !crate::policy::authorize::is_resourceless(&req) => notes.push(format!(
                "the account that owns `{}` is unknown: same- or cross-account cannot be decided",
                req.resource
            )),
            None => {}
        }
        // The network path: through the endpoint given as aws:SourceVpce, AWS sets the
        // endpoint's keys (its VPC and owner's organization from the snapshot; the others
        // unknown unless given) and aws:VpcSourceIp instead of aws:SourceIp; otherwise the
        // endpoint's keys are absent.
        match self.given("aws:SourceVpce") {
            Some(vpce) => {
                ctx.mark_absent("aws:SourceIp");
                // aws:SourceVpcArn in the resource's partition; an S3 ARN names no Region.
                let mut arn = req.resource.split(':');
                let partition = arn.nth(1).filter(|p| p.starts_with("aws")).unwrap_or("aws");
                let region = arn.nth(1).filter(|r| !r.is_empty());
                endpoint_keys(
                    vpce,
                    self.given("aws:VpceAccount"),
                    (partition, region),
                    snapshot,
                    &mut ctx,
                    &mut notes,
                );
            }
            None => {
                for k in ENDPOINT_ONLY {
                    ctx.mark_absent(k);
                }
            }
        }
        // What the command line says last: it overrides what was derived.
        for k in self.absent {
            ctx.mark_absent(k);
        }
        // Several --context of one key make a multi-valued key.
        let mut given: Vec<(String, Vec<String>)> = Vec::new();
        for (k, v) in self.context {
            let lk = k.to_ascii_lowercase();
            match given
                .iter_mut()
                .find(|(gk, _)| gk.to_ascii_lowercase() == lk)
            {
                Some((_, vals)) => vals.push(v.clone()),
                None => given.push((k.clone(), vec![v.clone()])),
            }
        }
        for (k, vals) in given {
            ctx.set_many(&k, vals);
        }
        req.context = ctx;
        (req, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::KeyState;

    fn user() -> Principal {
        Principal {
            kind: PrincipalKind::User,
            arn: Some("arn:aws:iam::111122223333:user/alice".to_owned()),
            account: Some("111122223333".to_owned()),
            role_arn: None,
            service: None,
        }
    }

    fn state(r: &Request, key: &str) -> &'static str {
        match r.context.get(&key.to_ascii_lowercase()) {
            KeyState::Present(_) => "set",
            KeyState::Absent => "absent",
            KeyState::Unknown => "unknown",
            KeyState::NotMatching(_) => "not matching",
        }
    }

    /// A request that names no endpoint has none of the endpoint's keys, as a logged request
    /// without `vpcEndpointId` (AWS re:Post, "restrict access based on the Region, source IP
    /// or VPC", https://repost.aws/knowledge-center/iam-restrict-access-policy: "The
    /// aws:SourceIp condition key is always included in the request, except for requests that
    /// uses an Amazon VPC endpoint"); simulate used to leave aws:VpceOrgID, aws:VpceOrgPaths
    /// and aws:SourceVpcArn unknown.
    #[test]
    fn no_endpoint_means_the_endpoint_keys_are_absent() {
        let p = user();
        let sim = Simulated {
            principal: &p,
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            context: &[],
            absent: &[],
        };
        let (r, _) = sim.request(Snapshot::absent(), Utc::now());
        for k in ENDPOINT_ONLY {
            assert_eq!(state(&r, k), "absent", "{k}");
        }
        assert_eq!(state(&r, "aws:SourceIp"), "unknown", "not given");
    }

    /// Through an endpoint (given), aws:SourceIp is absent (KMS developer guide,
    /// https://docs.aws.amazon.com/kms/latest/developerguide/vpce-policy-condition.html: "the
    /// aws:sourceIP condition key is not effective when the request comes from an Amazon VPC
    /// endpoint"; aws:VpcSourceIp replaces it), the endpoint's other keys are unknown unless
    /// given, and what the command line gives wins over what is derived.
    #[test]
    fn through_an_endpoint_the_given_keys_win() {
        let p = user();
        let context = [
            ("aws:SourceVpce".to_owned(), "vpce-1a2b".to_owned()),
            ("aws:SourceVpc".to_owned(), "vpc-9".to_owned()),
        ];
        let sim = Simulated {
            principal: &p,
            action: "s3:GetObject",
            resource: "arn:aws:s3:::b/k",
            context: &context,
            absent: &["aws:VpceOrgID".to_owned()],
        };
        let (r, _) = sim.request(Snapshot::absent(), Utc::now());
        assert_eq!(state(&r, "aws:SourceIp"), "absent");
        assert_eq!(state(&r, "aws:SourceVpc"), "set");
        assert_eq!(state(&r, "aws:VpcSourceIp"), "unknown");
        assert_eq!(state(&r, "aws:VpceAccount"), "unknown");
        assert_eq!(state(&r, "aws:VpceOrgID"), "absent", "--absent");
        let call = sim.call("simulate");
        assert_eq!(call.bucket.as_deref(), Some("b"));
        assert_eq!(call.key.as_deref(), Some("k"));
        assert_eq!(call.access_key_id, None, "a user has no session");
    }
}
