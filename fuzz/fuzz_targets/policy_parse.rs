//! Fuzz the policy parser and, for every document that compiles, the evaluator.
//!
//! Properties checked (each a panic when violated):
//! - parsing never panics, whatever the bytes;
//! - a compiled policy placed in each layer (identity, bucket policy, boundary, SCP, VPC
//!   endpoint) evaluates without panicking, for callers of every kind and for contexts where
//!   the keys are present, absent or unknown;
//! - the answer is consistent: `Allow` ⇔ `allowed == Some(true)` and no blocker; an explicit
//!   deny has an explicit blocker naming a matched Deny statement; an implicit deny has
//!   blockers and none explicit; `Unknown` lists what is missing;
//! - a verdict decided with every key unknown holds for every value of those keys: the same
//!   decision once they are all present, and once they are all absent (partial evaluation
//!   never guesses);
//! - the verdict cache answers exactly what a fresh evaluation does;
//! - the text and JSON traces render.
//!
//! Run: `cargo fuzz run policy_parse -- -dict=fuzz/policy.dict` (seed with the real corpus:
//! `cp /work/shared/corpus/real/policy-snapshots/**/*.json fuzz/corpus/policy_parse/`).

#![no_main]

use denytrail::policy::{
    authorize, render_text, AuthzInput, Context, Decision, Known, OrgLevel, Policy, PolicyRef, Principal, PrincipalKind,
    Request, Trace, VerdictCache,
};
use libfuzzer_sys::fuzz_target;

const A: &str = "111122223333";

fn principals() -> Vec<Principal> {
    let p = |kind, arn: Option<&str>, account: Option<&str>, role: Option<&str>, service: Option<&str>| Principal {
        kind,
        arn: arn.map(str::to_owned),
        account: account.map(str::to_owned),
        role_arn: role.map(str::to_owned),
        service: service.map(str::to_owned),
    };
    vec![
        p(PrincipalKind::User, Some("arn:aws:iam::111122223333:user/alice"), Some(A), None, None),
        p(
            PrincipalKind::AssumedRole,
            Some("arn:aws:sts::111122223333:assumed-role/app/s1"),
            Some(A),
            Some("arn:aws:iam::111122223333:role/app"),
            None,
        ),
        p(PrincipalKind::Account, None, Some("444455556666"), None, None),
        p(PrincipalKind::Anonymous, None, None, None, None),
        p(PrincipalKind::Service, None, None, None, Some("s3.amazonaws.com")),
        p(PrincipalKind::Root, Some("arn:aws:iam::111122223333:root"), Some(A), None, None),
    ]
}

/// Three contexts over the keys the policy reads: all present, all absent, all unknown.
fn contexts(p: &Policy) -> [Context; 3] {
    let mut present = Context::default();
    let mut absent = Context::default();
    for (i, k) in p.keys.iter().enumerate() {
        let v = match i % 4 {
            0 => "true".to_owned(),
            1 => "203.0.113.7".to_owned(),
            2 => "2026-11-23T18:00:00Z".to_owned(),
            _ => format!("arn:aws:iam::{A}:role/app"),
        };
        present.set(k, v);
        absent.mark_absent(k);
    }
    [present, absent, Context::default()]
}

fn check(req: &Request, input: &AuthzInput, cache: &VerdictCache) -> Decision {
    let e = authorize(req, input);
    match e.decision {
        Decision::Allow => assert!(e.allowed == Some(true) && e.blockers.is_empty(), "{e:?}"),
        Decision::ExplicitDeny => {
            let b = e.primary_blocker().expect("explicit deny names a blocker");
            assert_eq!(b.deny, Decision::ExplicitDeny);
            assert!(!b.statements.is_empty() && !e.matched_deny.is_empty(), "{e:?}");
        }
        Decision::ImplicitDeny => {
            assert_eq!(e.allowed, Some(false));
            assert!(!e.blockers.is_empty(), "implicit deny names a blocker: {e:?}");
            assert!(e.blockers.iter().all(|b| b.deny == Decision::ImplicitDeny));
        }
        Decision::Unknown => assert!(!e.unknowns.is_empty(), "unknown says what is missing: {e:?}"),
        Decision::NotApplicable => panic!("a request decision is never not-applicable"),
    }
    assert_eq!(*cache.authorize(req, input), e);
    let _ = render_text(req, &e);
    assert!(serde_json::to_string(&Trace::new(req, &e)).is_ok());
    e.decision
}

fn inputs(p: &PolicyRef) -> Vec<AuthzInput> {
    let none = AuthzInput {
        identity: Known::Known(vec![]),
        boundary: Known::Known(None),
        session: Known::Known(None),
        resource: Known::Known(None),
        scp: Known::Known(None),
        rcp: Known::Known(None),
        vpc_endpoint: Known::Known(None),
        access_point: None,
    };
    let level = |p: &PolicyRef| Known::Known(Some(vec![OrgLevel { target_id: "r-1".into(), policies: vec![p.clone()] }]));
    vec![
        AuthzInput { identity: Known::Known(vec![p.clone()]), ..none.clone() },
        AuthzInput { resource: Known::Known(Some(p.clone())), ..none.clone() },
        AuthzInput { identity: Known::Known(vec![p.clone()]), boundary: Known::Known(Some(p.clone())), session: Known::Known(Some(vec![p.clone()])), ..none.clone() },
        AuthzInput { resource: Known::Known(Some(p.clone())), scp: level(p), rcp: level(p), vpc_endpoint: Known::Known(Some(p.clone())), ..none.clone() },
        AuthzInput { identity: Known::Unknown("fuzz".into()), resource: Known::Known(Some(p.clone())), ..none },
    ]
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(policy) = Policy::parse_ref("fuzz", text) else { return };
    let cache = VerdictCache::new(64);
    let [present, absent, unknown] = contexts(&policy);
    for input in inputs(&policy) {
        for principal in principals() {
            for (action, resource) in [("s3:GetObject", "arn:aws:s3:::b/k"), ("S3:ListBucket", "arn:aws:s3:::b"), ("iam:PassRole", "*")] {
                let mk = |context: &Context| Request {
                    principal: principal.clone(),
                    action: action.into(),
                    resource: resource.into(),
                    resource_account: Some(A.into()),
                    context: context.clone(),
                };
                let known_p = check(&mk(&present), &input, &cache);
                let known_a = check(&mk(&absent), &input, &cache);
                let partial = check(&mk(&unknown), &input, &cache);
                // Unknown keys only widen: a decided verdict with unknowns must agree with
                // the verdicts once the keys are known.
                if partial != Decision::Unknown {
                    assert!(
                        known_p == partial && known_a == partial,
                        "unknown context gave {partial:?}, known gave {known_p:?}/{known_a:?}"
                    );
                }
            }
        }
    }
});
