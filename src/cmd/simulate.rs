//! `denytrail simulate`: the offline policy simulator. One request, described on the command
//! line, decided against a snapshot by the same diagnosis `analyze` runs (engine and S3 rules),
//! with `explain`'s trace.

use super::Outcome;
use crate::diagnose::diagnoser::{Analysis, Diagnoser};
use crate::diagnose::finding;
use crate::diagnose::request::{principal_context, principal_from_arn, Headers, S3Call};
use crate::diagnose::rule::RuleOutcome;
use crate::diagnose::trace::{self, RequestTrace};
use crate::findings::{AlsoFailing, DenyType, Finding, PolicyType, RootCause};
use crate::messages;
use crate::policy::{
    Context, KeyState, Known, Policy, PolicyRef, Principal, PrincipalKind, Request,
};
use crate::scan::Evidence;
use crate::snapshot::{s3_bucket_and_key, Arn, Snapshot};
use anyhow::Context as _;
use serde::Serialize;
use std::borrow::Cow;
use std::path::PathBuf;

const AFTER_HELP: &str = "\
The request you describe is a direct call (not through an AWS service), not through a VPC
endpoint, with no optional S3 parameters or headers, and, for a role, a session without a
session policy, unless you say otherwise with --context (e.g. aws:SourceVpce=vpce-1a2b,
s3:prefix=logs/, s3:x-amz-acl=public-read) and --session-policy FILE. A federated user
(GetFederationToken) without a session policy has no permissions except what a resource
policy grants its session (IAM user guide, 'Permissions for GetFederationToken').

The principal's own keys (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID,
aws:PrincipalTag/*, aws:userid, aws:username, ...) come from the snapshot and
aws:CurrentTime is now. Every other key (aws:SourceIp, aws:SecureTransport, ...) is unknown
until you pass it: a condition on it shows as unknown in the trace, never as guessed.
--absent KEY says the request does not carry KEY.

The request then goes through the very diagnosis `analyze` runs: the policy layers, then
the S3 rules (Block Public Access, object ownership, Requester Pays, SSE-KMS, a missing key).
They read the request's headers from the same keys (s3:x-amz-request-payer=requester,
s3:x-amz-server-side-encryption-aws-kms-key-id=..., s3:versionid=...) and the region from
aws:RequestedRegion. The output is explain's trace of the request and the verdict: allow,
the root cause with its fix, or unknown with what is missing.

Exit status: 0 whatever the decision (allow, deny or unknown: read it in the output);
2 when some snapshot file could not be read (each is named on stderr, and what it describes
counts as unknown); 1 when the snapshot folder cannot be read; 64 for a wrong command line.

Example:
  denytrail simulate --snapshot ~/snap --principal arn:aws:iam::111122223333:role/app \\
      --action s3:GetObject --resource arn:aws:s3:::bucket/key \\
      --context aws:SourceIp=203.0.113.7 --context aws:SecureTransport=true";

/// Decide one request offline against a snapshot and print the full trace.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The snapshot folder (SNAPSHOT.md layout).
    #[arg(long, value_name = "DIR")]
    pub snapshot: PathBuf,
    /// The caller: a user, role, assumed-role session, federated user or root ARN, an
    /// account id (caller hidden), `anonymous`, or a service name (`s3.amazonaws.com`). A role
    /// ARN is simulated as a session of that role.
    #[arg(long, value_name = "ARN", value_parser = parse_principal)]
    pub principal: Principal,
    /// The IAM action, e.g. s3:GetObject.
    #[arg(long, value_parser = parse_action)]
    pub action: String,
    /// The resource ARN, e.g. arn:aws:s3:::bucket/key (or `*` for an action without one).
    #[arg(long, value_name = "ARN", value_parser = parse_resource)]
    pub resource: String,
    /// A condition key and value (repeat the flag for more keys, or the same key for several
    /// values).
    #[arg(long = "context", value_name = "KEY=VALUE", value_parser = parse_pair)]
    pub context: Vec<(String, String)>,
    /// A condition key the request does not carry.
    #[arg(long = "absent", value_name = "KEY")]
    pub absent: Vec<String>,
    /// A session policy passed when the session was created (AssumeRole `Policy`,
    /// GetFederationToken `Policy`): a JSON policy document file; repeat for several.
    #[arg(long = "session-policy", value_name = "FILE")]
    pub session_policy: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

fn parse_principal(s: &str) -> Result<Principal, String> {
    principal_from_arn(s, None).map_err(|e| e.to_string())
}

fn parse_action(s: &str) -> Result<String, String> {
    match s.split_once(':') {
        Some((svc, name)) if !svc.is_empty() && !name.is_empty() => Ok(s.to_owned()),
        _ => Err(format!(
            "`{s}` is not an IAM action (service:Action, e.g. s3:GetObject)"
        )),
    }
}

/// A resource is an ARN (`arn:partition:service:region:account:resource`) or `*`: a bucket
/// name alone would be matched against policies as a string no ARN pattern matches, and the
/// answer would be a confident, wrong "missing allow".
fn parse_resource(s: &str) -> Result<String, String> {
    if s == "*" || (s.starts_with("arn:") && s.splitn(6, ':').count() == 6) {
        return Ok(s.to_owned());
    }
    let hint = if s.contains(':') {
        String::new()
    } else {
        format!(" (for an S3 bucket or object: arn:aws:s3:::{s})")
    };
    Err(format!(
        "`{s}` is not an ARN (arn:partition:service:region:account:resource){hint}"
    ))
}

/// A warning for an `s3:` action that is not in the S3 action table (a typo would be
/// simulated as an action no policy names), with the closest known name.
fn unknown_action_warning(action: &str) -> Option<String> {
    let lower = action.to_ascii_lowercase();
    if !lower.starts_with("s3:") || action.contains(['*', '?']) {
        return None;
    }
    let known = crate::diagnose::actions::known_s3_actions();
    if known.iter().any(|k| k.eq_ignore_ascii_case(action)) {
        return None;
    }
    let closest = known
        .iter()
        .map(|k| (strsim::levenshtein(&k.to_ascii_lowercase(), &lower), *k))
        .min()
        .filter(|(d, _)| *d <= 4)
        .map(|(_, k)| format!(" (did you mean {k}?)"))
        .unwrap_or_default();
    Some(format!(
        "denytrail: {action} is not an S3 action this tool knows{closest}; simulating it as written"
    ))
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("`{s}` is not KEY=VALUE")),
    }
}

/// The JSON output: the same request trace `explain` prints per request (the engine's trace,
/// the S3 rules, the KMS call), the verdict, and what the simulation could not fill in.
#[derive(Serialize)]
struct JsonOut<'a> {
    #[serde(flatten)]
    trace: RequestTrace<'a>,
    verdict: Verdict<'a>,
    snapshot: SnapshotInfo,
    notes: &'a [String],
}

/// The finding's verdict fields (the rest of a finding describes a logged event).
#[derive(Serialize)]
struct Verdict<'a> {
    /// `allow`, `deny` (a cause is named) or `unknown`.
    decision: &'static str,
    root_cause: RootCause,
    deny_type: Option<DenyType>,
    policy_type: Option<PolicyType>,
    policy_id: Option<&'a str>,
    statement_sid: Option<&'a str>,
    reason: Option<&'a str>,
    also: &'a [AlsoFailing],
    remediation: Option<&'a str>,
}

#[derive(Serialize)]
struct SnapshotInfo {
    path: String,
    taken_at: Option<String>,
    problems: usize,
}

/// Keys that exist only when the request has them: absent unless given.
const REQUEST_SHAPE_ABSENT: &[&str] = &[
    "aws:SourceVpce",
    "aws:VpceAccount",
    "aws:SourceVpc",
    "aws:VpcSourceIp",
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

/// The access key the simulated session is registered under with the diagnoser.
const SIMULATED_KEY: &str = "simulate";

pub fn run(args: Args) -> anyhow::Result<Outcome> {
    let (snap, problems) = Snapshot::load(&args.snapshot)
        .with_context(|| format!("cannot load the snapshot {}", args.snapshot.display()))?;
    for p in &problems {
        messages::notice(&p.to_string());
    }
    if let Some(w) = unknown_action_warning(&args.action) {
        messages::notice(&w);
    }
    let (req, notes) = build_request(&args, &snap);
    let session = session_policies(&args, &req)?;
    let call = s3_call(&args, &req);
    // The very diagnosis `analyze` runs: the engine through the same session path, then the
    // S3 rules, then the finding's verdict.
    let evidence = Evidence::default();
    let diag = Diagnoser::new(Some(&snap), &evidence).with_session(SIMULATED_KEY, session);
    let analysis = diag.analyze(&call, req, Vec::new(), notes.clone());
    let mut f = Finding {
        bucket: call.bucket.as_deref().map(str::to_owned),
        key: call.key.as_deref().map(str::to_owned),
        ..Finding::default()
    };
    finding::fill(&mut f, &analysis, None, &snap);
    let decision = decision(&analysis);
    let mut out = String::new();
    match args.format {
        Format::Text => {
            out.push_str(&trace::render_requests(std::slice::from_ref(&analysis)));
            if decision == "allow" {
                out.push_str(
                    "\n== verdict\nallow: every policy layer allows and no S3 rule refuses\n",
                );
            } else {
                out.push_str(&trace::render_verdict(&f, None));
            }
            let taken = snap
                .taken_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "unknown (no snapshot.json)".to_owned());
            out.push_str(&format!(
                "snapshot: {} (taken at {taken})\n",
                args.snapshot.display()
            ));
            for n in &notes {
                out.push_str(&format!("note: {n}\n"));
            }
        }
        Format::Json => {
            let json = JsonOut {
                trace: trace::request_trace(&analysis),
                verdict: Verdict {
                    decision,
                    root_cause: f.root_cause,
                    deny_type: f.deny_type,
                    policy_type: f.policy_type,
                    policy_id: f.policy_id.as_deref(),
                    statement_sid: f.statement_sid.as_deref(),
                    reason: f.reason.as_deref(),
                    also: &f.also,
                    remediation: f.remediation.as_deref(),
                },
                snapshot: SnapshotInfo {
                    path: args.snapshot.display().to_string(),
                    taken_at: snap.taken_at.map(|t| t.to_rfc3339()),
                    problems: problems.len(),
                },
                notes: &notes,
            };
            out.push_str(&serde_json::to_string_pretty(&json)?);
            out.push('\n');
        }
    }
    print_stdout(&out)?;
    Ok(if problems.is_empty() {
        Outcome::Complete
    } else {
        Outcome::InputSkipped
    })
}

/// The simulated request's outcome: `deny` when a cause is named, `allow` when every policy
/// layer allows and every S3 rule is clear, else `unknown`.
fn decision(a: &Analysis) -> &'static str {
    if finding::primary_of(a).is_some() {
        "deny"
    } else if a.verdict.all_allow
        && a.rules
            .iter()
            .all(|r| !matches!(r.outcome, RuleOutcome::Unknown(_)))
    {
        "allow"
    } else {
        "unknown"
    }
}

/// The S3 call the command line describes, typed as the request builder types a record's:
/// bucket and key from the resource ARN (and its partition), the region from
/// `aws:RequestedRegion`, and the headers the S3 rules read from the `s3:` keys given with
/// --context (`s3:x-amz-request-payer=requester`, `s3:x-amz-server-side-encryption=aws:kms`,
/// ...). No time and no logs: nothing to join with.
fn s3_call<'a>(args: &'a Args, req: &Request) -> S3Call<'a> {
    let given = |key: &str| {
        args.context
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    let (bucket, key) = match s3_bucket_and_key(&args.resource) {
        Some((b, k)) => (Some(Cow::Borrowed(b)), k.map(Cow::Borrowed)),
        None => (None, None),
    };
    let partition = match Arn::parse(&args.resource).map(|a| a.partition) {
        Some("aws-cn") => "aws-cn",
        Some("aws-us-gov") => "aws-us-gov",
        _ => "aws",
    };
    S3Call {
        api: None,
        bucket,
        key,
        partition,
        region: given("aws:RequestedRegion"),
        time: None,
        caller_arn: args.principal.arn.as_deref(),
        access_key_id: matches!(
            req.principal.kind,
            PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
        )
        .then_some(SIMULATED_KEY),
        logged: Default::default(),
        headers: Headers {
            request_payer: given("s3:x-amz-request-payer"),
            acl: given("s3:x-amz-acl"),
            grant: false,
            tagging: false,
            sse: given("s3:x-amz-server-side-encryption"),
            sse_kms_key_id: given("s3:x-amz-server-side-encryption-aws-kms-key-id"),
            sse_bucket_key_enabled: None,
            sse_customer_algorithm: None,
            copy_source: given("s3:x-amz-copy-source"),
            version_id: given("s3:versionid"),
            bypass_governance: false,
        },
    }
}

/// The session policies of the simulated request: the files given, else none; a federated
/// user's session without a policy allows nothing (an empty set, not "no session layer").
fn session_policies(args: &Args, req: &Request) -> anyhow::Result<Known<Option<Vec<PolicyRef>>>> {
    let mut out = Vec::new();
    for path in &args.session_policy {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the session policy {}", path.display()))?;
        let id = format!("session-policy:{}", path.display());
        let policy = Policy::parse_ref(id.as_str(), text.as_str()).with_context(|| {
            format!(
                "the session policy {} is not a valid policy",
                path.display()
            )
        })?;
        out.push(policy);
    }
    let is_session = matches!(
        req.principal.kind,
        PrincipalKind::AssumedRole | PrincipalKind::FederatedUser
    );
    Ok(match (is_session, out.is_empty(), req.principal.kind) {
        (true, false, _) => Known::Known(Some(out)),
        (_, true, PrincipalKind::FederatedUser) => Known::Known(Some(Vec::new())),
        (false, false, _) => anyhow::bail!(
            "--session-policy applies to role and federated-user sessions only, not to {:?}",
            req.principal.kind
        ),
        _ => Known::Known(None),
    })
}

/// stdout closed early (`| head`) is not an error of the simulation.
fn print_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to stdout"),
    }
}

/// The request the command line describes, and what could not be filled in.
pub fn build_request(args: &Args, snap: &Snapshot) -> (Request, Vec<String>) {
    let mut notes: Vec<String> = Vec::new();
    // With the snapshot, a session's role ARN gets its path.
    let principal = match args.principal.arn.as_deref() {
        Some(arn) if arn.contains(":assumed-role/") => {
            principal_from_arn(arn, Some(snap)).unwrap_or_else(|_| args.principal.clone())
        }
        _ => args.principal.clone(),
    };
    let mut ctx = Context::default();
    for k in REQUEST_SHAPE_ABSENT {
        ctx.mark_absent(k);
    }
    ctx.set("aws:ViaAWSService", "false");
    let now = chrono::Utc::now();
    ctx.set(
        "aws:CurrentTime",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    ctx.set("aws:EpochTime", now.timestamp().to_string());
    principal_context(&principal, Some(snap), &mut ctx, &mut notes);
    if let Known::Known(Some(entity)) = snap.entity(&principal) {
        // aws:userid is the unique id (users) or `role-id:session` (sessions).
        match entity {
            crate::snapshot::Entity::User(u) if !u.id.is_empty() => ctx.set("aws:userid", &u.id),
            crate::snapshot::Entity::Role(r) if !r.id.is_empty() => {
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
        action: args.action.clone(),
        resource: args.resource.clone(),
        resource_account: None,
        context: Context::default(),
    };
    req.resource_account = snap.resource_account(&req);
    if let Some(acct) = req.resource_account.clone() {
        if s3_bucket_and_key(&req.resource).is_some() {
            ctx.set("s3:ResourceAccount", &acct);
        }
        ctx.set("aws:ResourceAccount", &acct);
        match snap.org_id(&acct) {
            Known::Known(Some(org)) => ctx.set("aws:ResourceOrgID", org),
            Known::Known(None) => ctx.mark_absent("aws:ResourceOrgID"),
            Known::Unknown(_) => {}
        }
    } else if !crate::policy::authorize::is_resourceless(&req) {
        notes.push(format!(
            "the account that owns `{}` is unknown: same- or cross-account cannot be decided",
            req.resource
        ));
    }
    for k in &args.absent {
        ctx.mark_absent(k);
    }
    // Several --context of one key make a multi-valued key.
    let mut given: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in &args.context {
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
    // Through an endpoint (given with --context): aws:SourceVpc is the endpoint's VPC, from
    // the snapshot, unless given too; unknown when the snapshot lacks the endpoint.
    let vpce = match ctx.get("aws:sourcevpce") {
        KeyState::Present(ids) => ids.first().cloned(),
        _ => None,
    };
    if let Some(vpce) = vpce {
        if matches!(ctx.get("aws:sourcevpc"), KeyState::Absent) {
            ctx.forget("aws:sourcevpc");
            match snap.vpc_endpoint(&vpce) {
                Known::Known(e) => match e.vpc_id.as_deref() {
                    Some(vpc) => ctx.set("aws:SourceVpc", vpc),
                    None => notes.push(format!(
                        "aws:SourceVpc unknown: endpoint {vpce} has no VpcId"
                    )),
                },
                Known::Unknown(why) => notes.push(format!("aws:SourceVpc unknown: {why}")),
            }
        }
        // aws:SourceVpcArn likewise (request::vpc_arn), in the resource's partition.
        if matches!(
            ctx.get("aws:sourcevpcarn"),
            KeyState::Absent | KeyState::Unknown
        ) {
            ctx.forget("aws:sourcevpcarn");
            let partition = match req.resource.split(':').nth(1) {
                Some(p) if req.resource.starts_with("arn:") && !p.is_empty() => p,
                _ => "aws",
            };
            let arn = match snap.vpc_endpoint(&vpce) {
                Known::Known(e) => crate::diagnose::request::vpc_arn::source_vpc_arn(
                    e,
                    snap.vpc_endpoint_owner(&vpce),
                    partition,
                    req.resource.split(':').nth(3).filter(|r| !r.is_empty()),
                ),
                Known::Unknown(why) => Err(why),
            };
            match arn {
                Ok(arn) => ctx.set("aws:SourceVpcArn", arn),
                Err(why) => notes.push(format!("aws:SourceVpcArn unknown: {why}")),
            }
        }
    }
    req.context = ctx;
    (req, notes)
}

#[cfg(test)]
mod flag_tests {
    use super::*;

    #[test]
    fn a_resource_must_be_an_arn() {
        assert!(parse_resource("arn:aws:s3:::bucket/key").is_ok());
        assert!(parse_resource("*").is_ok());
        let e = parse_resource("bucket/key").unwrap_err();
        assert!(e.contains("arn:aws:s3:::bucket/key"), "{e}");
        assert!(parse_resource("arn:aws:s3").is_err());
    }

    #[test]
    fn a_misspelt_s3_action_is_named_with_the_closest() {
        let w = unknown_action_warning("s3:GetObjet").unwrap();
        assert!(w.contains("did you mean s3:GetObject?"), "{w}");
        assert_eq!(unknown_action_warning("s3:getobject"), None);
        assert_eq!(unknown_action_warning("s3:Get*"), None);
        assert_eq!(unknown_action_warning("kms:Decrypt"), None);
        assert_eq!(unknown_action_warning("s3:ListAllMyBuckets"), None);
    }
}
