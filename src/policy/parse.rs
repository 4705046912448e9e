//! Compiling a policy document, once: JSON text (plain or URL-encoded as the IAM API returns
//! it) or a parsed value, into [`Policy`] with its statements' elements in matchable form.
//! Evaluation never parses.
//!
//! Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html.
//! `Statement` is an object or an array; `Action`/`Resource`/principal values are a string or
//! an array; every statement keeps its `Sid`, or `#N` (0-based index) when it has none.

use super::condition::{Condition, Operator, StrValue};
use super::err::{PolicyError, StatementProblem};
use super::principal::Entry;
use super::types::StatementRef;
use super::wildcard::{self, Tok};
use serde_json::Value;

/// A compiled policy document. Cheap to share: wrap it in a [`super::PolicyRef`].
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The policy's id: ARN, `bucket-policy:<bucket>`, SCP id, endpoint id, key ARN.
    pub id: String,
    pub version: Option<String>,
    pub statements: Vec<Statement>,
    /// The document as given (decoded), for display and remediation text.
    pub document: Value,
    /// Every context key the policy reads (condition keys and policy variables), lower-cased,
    /// sorted: what a verdict cache must key on.
    pub keys: Vec<String>,
    /// A hash of the id and the document, stable for the life of the process: identifies the
    /// policy's content in cache keys.
    pub fingerprint: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Effect {
    Allow,
    Deny,
}

/// An element with its positive or `Not` form.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem<T> {
    Is(Vec<T>),
    Not(Vec<T>),
}

/// An `Action` entry, lower-cased (actions are case-insensitive).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionPattern {
    Any,
    Exact(String),
    Glob(Vec<Tok>),
}

impl ActionPattern {
    /// Not trimmed: AWS matches the action as written, so `"s3:GetObject "` (a trailing
    /// space) names no action at all.
    fn new(raw: &str) -> ActionPattern {
        let lc = raw.to_ascii_lowercase();
        if lc == "*" {
            return ActionPattern::Any;
        }
        let toks = wildcard::compile(&lc);
        if wildcard::is_literal(&toks) {
            ActionPattern::Exact(lc)
        } else {
            ActionPattern::Glob(toks)
        }
    }

    /// `action_lc` must be lower-case.
    pub fn matches(&self, action_lc: &str) -> bool {
        match self {
            ActionPattern::Any => true,
            ActionPattern::Exact(a) => a == action_lc,
            ActionPattern::Glob(t) => wildcard::matches(t, action_lc.as_bytes(), false),
        }
    }
}

/// One statement, compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// 0-based position in the policy.
    pub index: usize,
    /// `Sid`, else `#N`.
    pub sid: String,
    /// The policy id and `sid`, ready for traces.
    pub sref: StatementRef,
    pub effect: Effect,
    pub action: Elem<ActionPattern>,
    /// `None` when the statement has neither `Resource` nor `NotResource` (trust policies).
    pub resource: Option<Elem<StrValue>>,
    /// `None` when the statement has neither `Principal` nor `NotPrincipal` (identity policies).
    pub principal: Option<Elem<Entry>>,
    /// AND of all; empty when there is no `Condition`.
    pub conditions: Vec<Condition>,
}

/// What [`Policy::parse`] accepts: a parsed JSON value, or text that is JSON or URL-encoded
/// JSON. A JSON string value holding a document (the CLI's `{"Policy": "<json>"}`) is decoded
/// too.
pub trait PolicyDoc {
    fn to_value(&self, id: &str) -> Result<Value, PolicyError>;
}

impl PolicyDoc for &Value {
    fn to_value(&self, id: &str) -> Result<Value, PolicyError> {
        match self {
            Value::String(s) => s.as_str().to_value(id),
            v => Ok((*v).clone()),
        }
    }
}

impl PolicyDoc for Value {
    fn to_value(&self, id: &str) -> Result<Value, PolicyError> {
        (&self).to_value(id)
    }
}

impl PolicyDoc for &str {
    fn to_value(&self, id: &str) -> Result<Value, PolicyError> {
        let text = self.trim();
        let decoded;
        let text = if text.starts_with('{') {
            text
        } else {
            decoded = percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map_err(|e| PolicyError::Json {
                    policy: id.to_owned(),
                    detail: format!("URL-encoded text is not UTF-8: {e}"),
                })?
                .into_owned();
            decoded.trim()
        };
        serde_json::from_str(text).map_err(|e| PolicyError::Json {
            policy: id.to_owned(),
            detail: e.to_string(),
        })
    }
}

impl PolicyDoc for &String {
    fn to_value(&self, id: &str) -> Result<Value, PolicyError> {
        self.as_str().to_value(id)
    }
}

impl Policy {
    /// Compiles a document. Lint problems (bad `Effect`, unknown operator, malformed
    /// element) are errors naming the policy and the statement.
    pub fn parse(id: impl Into<String>, doc: impl PolicyDoc) -> Result<Policy, PolicyError> {
        let id = id.into();
        let document = doc.to_value(&id)?;
        let obj = document.as_object().ok_or_else(|| PolicyError::Document {
            policy: id.clone(),
            detail: format!("expected a JSON object, found {}", kind(&document)),
        })?;
        let version = obj
            .get("Version")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let raw_statements: Vec<&Value> = match obj.get("Statement") {
            Some(Value::Array(a)) => a.iter().collect(),
            Some(v @ Value::Object(_)) => vec![v],
            Some(v) => {
                return Err(PolicyError::Document {
                    policy: id,
                    detail: format!(
                        "`Statement` must be an object or an array, found {}",
                        kind(v)
                    ),
                })
            }
            None => {
                return Err(PolicyError::Document {
                    policy: id,
                    detail: "no `Statement`".into(),
                })
            }
        };
        let mut statements = Vec::with_capacity(raw_statements.len());
        for (index, st) in raw_statements.into_iter().enumerate() {
            statements.push(
                parse_statement(index, st)
                    .map(|mut s| {
                        s.sref.policy_id.clone_from(&id);
                        s
                    })
                    .map_err(|(statement, problem)| PolicyError::Statement {
                        policy: id.clone(),
                        statement,
                        problem,
                    })?,
            );
        }
        let mut keys: Vec<String> = statements
            .iter()
            .flat_map(|s| {
                let res_vars = s.resource.iter().flat_map(|e| match e {
                    Elem::Is(v) | Elem::Not(v) => v.iter().flat_map(|x| x.template.variables()),
                });
                s.conditions
                    .iter()
                    .flat_map(|c| std::iter::once(c.key_lc.as_str()).chain(c.variable_keys()))
                    .chain(res_vars)
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        keys.sort();
        keys.dedup();
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            id.hash(&mut h);
            document.to_string().hash(&mut h);
            h.finish()
        };
        Ok(Policy {
            id,
            version,
            statements,
            document,
            keys,
            fingerprint,
        })
    }

    /// The policy with its `{"CanonicalUser": id}` principals resolved to accounts, for a
    /// bucket policy: S3 may store an account grant in that form, and a canonical user id
    /// stands for its account (https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html:
    /// "An alpha-numeric identifier ... that is an obfuscated form of the AWS account ID. You
    /// can use this ID to identify an AWS account when granting cross-account access to
    /// buckets and objects using Amazon Simple Storage Service"). `resolve` gives the account of an id, when
    /// the snapshot has it (`canonical-id.json`); ids it does not know stay canonical and
    /// match nobody. `None` when nothing changed.
    pub fn with_canonical_users_resolved(
        &self,
        resolve: impl Fn(&str) -> Option<String>,
    ) -> Option<Policy> {
        let mut changed = false;
        let mut out = self.clone();
        for st in &mut out.statements {
            if let Some(Elem::Is(entries) | Elem::Not(entries)) = &mut st.principal {
                for e in entries.iter_mut() {
                    if let Entry::CanonicalUser(id) = e {
                        if let Some(account) = resolve(id) {
                            *e = Entry::Account(account);
                            changed = true;
                        }
                    }
                }
            }
        }
        changed.then_some(out)
    }

    /// [`Policy::parse`] wrapped in an `Arc`, the form [`super::AuthzInput`] holds.
    pub fn parse_ref(
        id: impl Into<String>,
        doc: impl PolicyDoc,
    ) -> Result<super::PolicyRef, PolicyError> {
        Policy::parse(id, doc).map(std::sync::Arc::new)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

type StResult<T> = Result<T, (String, StatementProblem)>;

fn parse_statement(index: usize, v: &Value) -> StResult<Statement> {
    let fallback = format!("#{index}");
    let Some(o) = v.as_object() else {
        return Err((fallback, StatementProblem::NotAnObject));
    };
    let sid = match o.get("Sid") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => fallback,
    };
    let err = |p: StatementProblem| (sid.clone(), p);
    let effect = match o.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            let shown = other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned);
            return Err(err(StatementProblem::BadEffect(shown)));
        }
        None => return Err(err(StatementProblem::MissingEffect)),
    };
    let action = match pick(o, "Action").map_err(err)? {
        Some(e) => map_elem(e, ActionPattern::new),
        None => return Err(err(StatementProblem::MissingAction)),
    };
    let resource = pick(o, "Resource")
        .map_err(err)?
        .map(|e| map_elem(e, |s| StrValue::new(s.trim())));
    let principal = match (o.get("Principal"), o.get("NotPrincipal")) {
        (Some(_), Some(_)) => return Err(err(StatementProblem::BothElements("Principal"))),
        (Some(p), None) => Some(Elem::Is(principal_entries("Principal", p).map_err(err)?)),
        (None, Some(p)) => Some(Elem::Not(
            principal_entries("NotPrincipal", p).map_err(err)?,
        )),
        (None, None) => None,
    };
    let conditions = match o.get("Condition") {
        None | Some(Value::Null) => Vec::new(),
        Some(c) => parse_conditions(c).map_err(err)?,
    };
    Ok(Statement {
        index,
        sref: StatementRef {
            policy_id: String::new(),
            statement: sid.clone(),
        },
        sid,
        effect,
        action,
        resource,
        principal,
        conditions,
    })
}

/// `Action`/`NotAction` (or `Resource`/`NotResource`): which one is present, as strings.
fn pick<'a>(
    o: &'a serde_json::Map<String, Value>,
    name: &'static str,
) -> Result<Option<Elem<&'a str>>, StatementProblem> {
    let not_name: &'static str = if name == "Action" {
        "NotAction"
    } else {
        "NotResource"
    };
    match (o.get(name), o.get(not_name)) {
        (Some(_), Some(_)) => Err(StatementProblem::BothElements(name)),
        (Some(v), None) => Ok(Some(Elem::Is(strings(name, v)?))),
        (None, Some(v)) => Ok(Some(Elem::Not(strings(not_name, v)?))),
        (None, None) => Ok(None),
    }
}

fn map_elem<T>(e: Elem<&str>, f: impl Fn(&str) -> T) -> Elem<T> {
    match e {
        Elem::Is(v) => Elem::Is(v.into_iter().map(f).collect()),
        Elem::Not(v) => Elem::Not(v.into_iter().map(f).collect()),
    }
}

fn strings<'a>(element: &'static str, v: &'a Value) -> Result<Vec<&'a str>, StatementProblem> {
    let bad = || StatementProblem::BadElementValue {
        element,
        found: kind(v).into(),
    };
    match v {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(a) => a.iter().map(|x| x.as_str().ok_or_else(bad)).collect(),
        _ => Err(bad()),
    }
}

fn principal_entries(element: &'static str, v: &Value) -> Result<Vec<Entry>, StatementProblem> {
    match v {
        Value::String(s) if s.trim() == "*" => Ok(vec![Entry::Any]),
        Value::String(s) => Err(StatementProblem::BadEntry {
            element,
            value: s.clone(),
            why: "a principal string must be `*`; name others as {\"AWS\": ...}",
        }),
        Value::Object(o) => {
            let mut out = Vec::new();
            for (k, vals) in o {
                let vals = strings(element, vals)?;
                for s in vals {
                    out.push(match k.as_str() {
                        "AWS" => Entry::aws(s),
                        "Service" => Entry::Service(s.trim().to_owned()),
                        "Federated" => Entry::Federated(s.trim().to_owned()),
                        "CanonicalUser" => Entry::CanonicalUser(s.trim().to_owned()),
                        other => {
                            return Err(StatementProblem::UnknownPrincipalType {
                                element,
                                kind: other.to_owned(),
                            })
                        }
                    });
                }
            }
            Ok(out)
        }
        _ => Err(StatementProblem::BadElementValue {
            element,
            found: kind(v).into(),
        }),
    }
}

fn parse_conditions(v: &Value) -> Result<Vec<Condition>, StatementProblem> {
    let Some(ops) = v.as_object() else {
        return Err(StatementProblem::BadCondition);
    };
    let mut out = Vec::new();
    for (op_name, body) in ops {
        let op = Operator::parse(op_name)
            .ok_or_else(|| StatementProblem::UnknownOperator(op_name.clone()))?;
        let Some(keys) = body.as_object() else {
            return Err(StatementProblem::BadOperatorBody {
                op: op_name.clone(),
            });
        };
        for (key, vals) in keys {
            let bad = || StatementProblem::BadConditionValue {
                op: op_name.clone(),
                key: key.clone(),
            };
            let scalar = |x: &Value| match x {
                Value::String(s) => Ok(s.clone()),
                Value::Number(n) => Ok(n.to_string()),
                Value::Bool(b) => Ok(b.to_string()),
                _ => Err(bad()),
            };
            let raw: Vec<String> = match vals {
                Value::Array(a) => a.iter().map(scalar).collect::<Result<_, _>>()?,
                x => vec![scalar(x)?],
            };
            out.push(Condition::new(op.clone(), key, raw));
        }
    }
    Ok(out)
}
