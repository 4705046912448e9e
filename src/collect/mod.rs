//! `denytrail snapshot`: writes the `SNAPSHOT.md` folder from live AWS through the SDKs, the
//! same files a user would get from the AWS CLI calls listed there.
//!
//! Unknown stays unknown: a call AWS refuses (or that fails after the SDK's retries) writes
//! nothing for its piece, is reported as a [`Skipped`] naming the call and what stays unknown,
//! and the collection goes on. Only "AWS answered: not configured" is written as an answer
//! (`{"Policy": null}` for a bucket without a policy, as SNAPSHOT.md says).
//!
//! Accounts: the caller's own account, or each of `--accounts` (default with `--assume-role`:
//! every active account of the organization) reached by assuming `--assume-role NAME` there.
//! The organization is read once, with the caller's own credentials (the management account or
//! a delegated administrator can read it).

mod access_points;
mod ec2;
mod err;
mod iam;
mod json;
mod kms;
mod object_acls;
mod org;
mod out;
mod s3;
mod s3control;
mod signed;

pub use err::CollectError;
pub use object_acls::{targets as object_acl_targets, ObjectTarget};
pub use out::safe_component;

use crate::aws::SdkErrorLine;
use aws_config::SdkConfig;
use aws_sdk_s3::error::ProvideErrorMetadata;
use out::Out;
use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What to collect and where.
#[derive(Debug, Clone)]
pub struct Options {
    pub out: PathBuf,
    /// Accounts to collect; empty = the caller's account (or, with `assume_role`, every active
    /// account of the organization).
    pub accounts: Vec<String>,
    /// Role name assumed in each account (`arn:<partition>:iam::<account>:role/<NAME>`).
    pub assume_role: Option<String>,
    /// Max concurrent per-bucket/per-key reads.
    pub concurrency: usize,
    /// Objects whose ACLs to read (`--object-acls`, already capped): those the denials name.
    pub object_acls: Vec<ObjectTarget>,
}

/// A piece that was not written, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The account whose piece it is, or `organization`.
    pub scope: String,
    /// The API call, as IAM names it (`s3:GetBucketPolicy`).
    pub call: String,
    /// What it was about (`bucket `b``), empty for account-wide calls.
    pub target: String,
    /// AWS's answer or the failure.
    pub error: String,
    /// Whether AWS refused (as opposed to failing).
    pub denied: bool,
    /// What stays unknown because of it.
    pub unknown: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.scope, self.call)?;
        if !self.target.is_empty() {
            write!(f, " ({})", self.target)?;
        }
        let hint = if self.denied {
            format!(
                "grant {} to the collecting principal to capture it",
                self.call
            )
        } else {
            "run again to retry".to_owned()
        };
        write!(
            f,
            ": {}; {} stays unknown (not written); {hint}",
            self.error, self.unknown
        )
    }
}

/// Something worth showing while collecting (a progress bar, a message).
#[derive(Debug, Clone)]
pub enum Event {
    /// An account's collection began.
    AccountStarted {
        scope: String,
    },
    /// More pieces were discovered (the bar's length grows).
    PiecesFound {
        scope: String,
        count: u64,
    },
    /// A piece was written or skipped.
    PieceDone {
        scope: String,
    },
    Skipped(Skipped),
    /// A fact the user should know that is no failure (e.g. no organization).
    Note {
        scope: String,
        text: String,
    },
    AccountDone {
        scope: String,
    },
}

/// How the run ended.
#[derive(Debug, Default)]
pub struct Summary {
    pub accounts: Vec<String>,
    pub files_written: usize,
    pub skipped: Vec<Skipped>,
}

type Sink = Arc<dyn Fn(Event) + Send + Sync>;

/// Shared by every task of one account: where to write, whom to tell.
#[derive(Clone)]
pub(crate) struct Ctx {
    out: Out,
    scope: String,
    sink: Sink,
    written: Arc<Mutex<usize>>,
    skipped: Arc<Mutex<Vec<Skipped>>>,
}

impl Ctx {
    fn for_scope(&self, scope: &str) -> Ctx {
        Ctx {
            scope: scope.to_owned(),
            ..self.clone()
        }
    }

    /// Writes one file; a disk error is fatal for the run.
    fn write(&self, parts: &[&str], v: &serde_json::Value) -> Result<(), CollectError> {
        self.out.write(parts, v)?;
        if let Ok(mut n) = self.written.lock() {
            *n += 1;
        }
        Ok(())
    }

    /// Records and reports a piece that could not be read.
    fn skip<E>(&self, call: &str, target: impl Into<String>, unknown: impl Into<String>, err: &E)
    where
        E: ProvideErrorMetadata + std::error::Error,
    {
        let s = Skipped {
            scope: self.scope.clone(),
            call: call.to_owned(),
            target: target.into(),
            error: SdkErrorLine(err).to_string(),
            denied: crate::aws::is_denied_code(err.code()),
            unknown: unknown.into(),
        };
        self.skip_raw(s);
    }

    fn skip_raw(&self, s: Skipped) {
        if let Ok(mut v) = self.skipped.lock() {
            v.push(s.clone());
        }
        (self.sink)(Event::Skipped(s));
    }

    fn note(&self, text: impl Into<String>) {
        (self.sink)(Event::Note {
            scope: self.scope.clone(),
            text: text.into(),
        });
    }

    fn found(&self, count: u64) {
        (self.sink)(Event::PiecesFound {
            scope: self.scope.clone(),
            count,
        });
    }

    fn done_piece(&self) {
        (self.sink)(Event::PieceDone {
            scope: self.scope.clone(),
        });
    }
}

/// Collects the snapshot. `Err` only when nothing sensible can be written (no credentials,
/// the folder is unusable); every refused piece is in `Summary::skipped`.
pub async fn collect(
    conf: &SdkConfig,
    opts: &Options,
    sink: impl Fn(Event) + Send + Sync + 'static,
) -> Result<Summary, CollectError> {
    let out = Out::create(&opts.out)?;
    let ctx = Ctx {
        out,
        scope: "organization".to_owned(),
        sink: Arc::new(sink),
        written: Arc::new(Mutex::new(0)),
        skipped: Arc::new(Mutex::new(Vec::new())),
    };
    let sts = aws_sdk_sts::Client::new(conf);
    let me = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| CollectError::NoIdentity(SdkErrorLine(&e).to_string()))?;
    let my_account = me.account().unwrap_or_default().to_owned();
    let partition = me
        .arn()
        .and_then(|a| a.split(':').nth(1))
        .unwrap_or("aws")
        .to_owned();

    let taken_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    ctx.write(
        &["snapshot.json"],
        &serde_json::json!({ "taken_at": taken_at }),
    )?;

    let org_ctx = ctx.for_scope("organization");
    (org_ctx.sink)(Event::AccountStarted {
        scope: org_ctx.scope.clone(),
    });
    let org_accounts = org::collect(conf, &org_ctx).await?;
    (org_ctx.sink)(Event::AccountDone {
        scope: org_ctx.scope.clone(),
    });

    let accounts: Vec<String> = if !opts.accounts.is_empty() {
        opts.accounts
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    } else if opts.assume_role.is_some() && !org_accounts.is_empty() {
        org_accounts
    } else {
        vec![my_account.clone()]
    };

    for account in &accounts {
        let actx = ctx.for_scope(&format!("account {account}"));
        (actx.sink)(Event::AccountStarted {
            scope: actx.scope.clone(),
        });
        if !safe_component(account) || !account.bytes().all(|b| b.is_ascii_digit()) {
            actx.skip_raw(Skipped {
                scope: actx.scope.clone(),
                call: "(none)".into(),
                target: String::new(),
                error: format!("`{account}` is not an account id (12 digits)"),
                denied: false,
                unknown: "the whole account".into(),
            });
            continue;
        }
        let aconf = match (&opts.assume_role, account == &my_account) {
            (Some(role), _) => {
                let arn = format!("arn:{partition}:iam::{account}:role/{role}");
                match assume(conf, &arn).await {
                    Ok(c) => c,
                    Err(s) => {
                        actx.skip_raw(Skipped {
                            scope: actx.scope.clone(),
                            ..s
                        });
                        (actx.sink)(Event::AccountDone {
                            scope: actx.scope.clone(),
                        });
                        continue;
                    }
                }
            }
            (None, true) => conf.clone(),
            (None, false) => {
                actx.skip_raw(Skipped {
                    scope: actx.scope.clone(),
                    call: "sts:AssumeRole".into(),
                    target: String::new(),
                    error: format!(
                        "the credentials are for account {my_account}; pass --assume-role NAME to reach {account}"
                    ),
                    denied: false,
                    unknown: "the whole account".into(),
                });
                continue;
            }
        };
        collect_account(&aconf, account, &actx, opts.concurrency.max(1)).await?;
        object_acls::collect(&aconf, account, &actx, &opts.out, &opts.object_acls).await?;
        (actx.sink)(Event::AccountDone {
            scope: actx.scope.clone(),
        });
    }

    let unplaced = object_acls::unplaced(&opts.out, &accounts, &opts.object_acls);
    if unplaced > 0 {
        ctx.note(format!(
            "--object-acls: {unplaced} object(s) are in buckets of no collected account; their ACLs were not read"
        ));
    }
    let written = ctx.written.lock().map(|n| *n).unwrap_or(0);
    let skipped = ctx.skipped.lock().map(|v| v.clone()).unwrap_or_default();
    Ok(Summary {
        accounts,
        files_written: written,
        skipped,
    })
}

/// Credentials for a role in another account, checked with one GetCallerIdentity so that a
/// role that cannot be assumed is reported once, not on every call.
async fn assume(conf: &SdkConfig, arn: &str) -> Result<SdkConfig, Skipped> {
    let provider = aws_config::sts::AssumeRoleProvider::builder(arn)
        .session_name("denytrail-snapshot")
        .configure(conf)
        .build()
        .await;
    let aconf = conf
        .to_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build();
    match aws_sdk_sts::Client::new(&aconf)
        .get_caller_identity()
        .send()
        .await
    {
        Ok(_) => Ok(aconf),
        Err(e) => Err(Skipped {
            scope: String::new(),
            call: "sts:AssumeRole".into(),
            target: format!("role `{arn}`"),
            error: SdkErrorLine(&e).to_string(),
            denied: true,
            unknown: "the whole account".into(),
        }),
    }
}

async fn collect_account(
    conf: &SdkConfig,
    account: &str,
    ctx: &Ctx,
    concurrency: usize,
) -> Result<(), CollectError> {
    iam::collect(conf, account, ctx).await?;
    let bucket_regions = s3::collect(conf, account, ctx, concurrency).await?;
    s3control::collect(conf, account, ctx).await?;
    // KMS keys and VPC endpoints are regional: read them in the configured region and in every
    // region that holds one of the account's buckets (where S3's keys and endpoints matter).
    let mut regions: BTreeSet<String> = bucket_regions;
    if let Some(r) = conf.region() {
        regions.insert(r.to_string());
    }
    kms::collect(conf, account, ctx, &regions, concurrency).await?;
    ec2::collect(conf, account, ctx, &regions).await?;
    // Access points live in their bucket's region (list-access-points is regional).
    access_points::collect(conf, account, ctx, &regions).await?;
    Ok(())
}
