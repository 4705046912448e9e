//! The trace as text: what `simulate` and `explain` print. One stable entry point,
//! [`render_text`]; JSON is `serde_json::to_string(&Trace::new(req, eval))`.
//!
//! The text is for a security engineer who will check the verdict by hand: the request
//! (principal, action, resource, every context key and which were absent or unknown), the
//! decision and what blocked it, then each layer with its result and each statement with the
//! reason it did or did not apply.

use super::authorize::{layer_name, Evaluation, LayerTrace};
use super::evaluate::{Mismatch, PolicyTrace, StatementTrace};
use super::tri::Tri;
use super::types::{Decision, Request};
use serde::Serialize;
use std::fmt::Write;

/// Request and answer together, the JSON form of a trace.
#[derive(Debug, Serialize)]
pub struct Trace<'a> {
    pub request: &'a Request,
    pub evaluation: &'a Evaluation,
}

impl<'a> Trace<'a> {
    pub fn new(request: &'a Request, evaluation: &'a Evaluation) -> Trace<'a> {
        Trace {
            request,
            evaluation,
        }
    }
}

fn decision_word(d: Decision) -> &'static str {
    match d {
        Decision::Allow => "allow",
        Decision::ExplicitDeny => "explicit deny",
        Decision::ImplicitDeny => "implicit deny",
        Decision::NotApplicable => "not applicable",
        Decision::Unknown => "unknown",
    }
}

fn applies_word(t: Tri) -> &'static str {
    match t {
        Tri::Yes => "applies",
        Tri::No => "does not apply",
        Tri::Unknown => "may apply",
    }
}

/// One reason in words.
pub fn mismatch_text(m: &Mismatch) -> String {
    match m {
        Mismatch::ActionNotMatched => "action not matched".into(),
        Mismatch::ResourceNotMatched => "resource not matched".into(),
        Mismatch::ResourceVariableUnknown { variable } => {
            format!("resource uses `${{{variable}}}`, whose value is unknown")
        }
        Mismatch::PrincipalNotMatched => "principal not matched".into(),
        Mismatch::PrincipalUnknown => "principal match depends on the caller's exact identity, which is unknown".into(),
        Mismatch::ConditionFailed {
            op,
            key,
            policy_values,
            request,
        } => match request {
            Some(v) => format!("condition `{op}` on `{key}` failed: request has {v:?}, policy wants {policy_values:?}"),
            None => format!("condition `{op}` on `{key}` failed: key absent from the request, policy wants {policy_values:?}"),
        },
        Mismatch::ConditionFailedNotMatching { op, key, policy_values, excluded } => format!("condition `{op}` on `{key}` failed: the request's value is known not to be {} (absent, or another value), and every value the policy wants, {policy_values:?}, is one of those", not_x(excluded)),
        Mismatch::KeyUnknown { op, key } => format!("condition `{op}` on `{key}`: the request's value is unknown"),
        Mismatch::KeyNotMatchingUndecided { op, key, excluded, covered } => if *covered {
            format!("condition `{op}` on `{key}`: the request's value is known only not to be {}, and this operator's answer differs between an absent key and another value", not_x(excluded))
        } else {
            format!("condition `{op}` on `{key}`: the request's value is known only not to be {}, and a value the policy names could match another value", not_x(excluded))
        },
        Mismatch::VariableUnknown { op, key, variable } => {
            format!("condition `{op}` on `{key}`: uses `${{{variable}}}`, whose value is unknown")
        }
    }
}

/// `o-ours` or `o-ours/* or o-ours`: the excluded patterns, for "known not to be X".
fn not_x(excluded: &[String]) -> String {
    let quoted: Vec<String> = excluded.iter().map(|e| format!("`{e}`")).collect();
    if quoted.is_empty() {
        "anything in particular".to_owned()
    } else {
        quoted.join(" or ")
    }
}

fn statement_line(out: &mut String, s: &StatementTrace) {
    let effect = match s.effect {
        super::parse::Effect::Allow => "Allow",
        super::parse::Effect::Deny => "Deny",
    };
    let form = s
        .principal_form
        .map(|f| format!(" (principal matched as {f:?})"))
        .unwrap_or_default();
    let _ = write!(
        out,
        "      {effect} `{}`: {}{form}",
        s.statement.statement,
        applies_word(s.applies)
    );
    if !s.why.is_empty() {
        let why: Vec<String> = s.why.iter().map(mismatch_text).collect();
        let _ = write!(out, ": {}", why.join("; "));
    }
    out.push('\n');
}

fn policies(out: &mut String, ps: &[PolicyTrace]) {
    for p in ps {
        let _ = writeln!(out, "    policy {}", p.policy_id);
        for s in &p.statements {
            statement_line(out, s);
        }
    }
}

fn layer(out: &mut String, l: &LayerTrace) {
    let _ = write!(
        out,
        "  {}: {}",
        layer_name(l.layer),
        decision_word(l.decision)
    );
    if let Some(m) = &l.missing {
        let _ = write!(out, " (missing: {m})");
    }
    if let Some(n) = &l.note {
        let _ = write!(out, " ({n})");
    }
    if let Some(f) = l.grant_form {
        let _ = write!(out, " (granted to the caller as {f:?})");
    }
    out.push('\n');
    policies(out, &l.policies);
    for lv in &l.levels {
        let _ = writeln!(
            out,
            "    level {}: {}",
            lv.target_id,
            decision_word(lv.decision)
        );
        for p in &lv.policies {
            let _ = writeln!(out, "      policy {}", p.policy_id);
            for s in &p.statements {
                out.push_str("  ");
                statement_line(out, s);
            }
        }
    }
}

/// The keys the policies read whose value the engine did not know, each with why, in first-
/// seen order: the request gave no value ("no value in the request record or snapshot"), or it
/// was known only by exclusion and that did not decide a condition.
pub fn unknown_keys(req: &Request, eval: &Evaluation) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let stmts = eval
        .layers
        .iter()
        .flat_map(|l| {
            l.policies
                .iter()
                .chain(l.levels.iter().flat_map(|lv| &lv.policies))
        })
        .flat_map(|p| &p.statements);
    for s in stmts {
        for m in &s.why {
            let (key, why) = match m {
                Mismatch::KeyUnknown { key, .. } => (
                    key.to_ascii_lowercase(),
                    "neither the record nor the snapshot gives it".to_owned(),
                ),
                Mismatch::VariableUnknown { variable, .. } => (
                    variable.to_ascii_lowercase(),
                    "read as a policy variable; neither the record nor the snapshot gives it"
                        .to_owned(),
                ),
                Mismatch::ResourceVariableUnknown { variable } => (
                    variable.to_ascii_lowercase(),
                    "read as a policy variable; neither the record nor the snapshot gives it"
                        .to_owned(),
                ),
                _ => continue,
            };
            // A variable over a key known only by exclusion: the exclusion is listed above,
            // but a variable needs the value itself.
            let why = match req.context.not_matching.get(&key) {
                Some(ps) => format!(
                    "known only not to be {}; a policy variable needs the value itself",
                    not_x(ps)
                ),
                None => why,
            };
            if req.context.not_matching.contains_key(&key)
                && !matches!(
                    m,
                    Mismatch::VariableUnknown { .. } | Mismatch::ResourceVariableUnknown { .. }
                )
            {
                continue;
            }
            if !out.iter().any(|(k, _)| *k == key) {
                out.push((key, why));
            }
        }
    }
    out
}

/// Renders a request and its evaluation as readable text (several lines, ends with `\n`).
pub fn render_text(req: &Request, eval: &Evaluation) -> String {
    let mut out = String::new();
    let p = &req.principal;
    let who = p
        .arn
        .clone()
        .or_else(|| p.service.clone())
        .unwrap_or_else(|| format!("{:?} caller", p.kind).to_lowercase());
    let _ = writeln!(
        out,
        "principal: {who} ({:?}, account {})",
        p.kind,
        p.account.as_deref().unwrap_or("unknown")
    );
    if let Some(r) = &p.role_arn {
        let _ = writeln!(out, "  role / federating user: {r}");
    }
    let _ = writeln!(out, "action:    {}", req.action);
    let _ = writeln!(
        out,
        "resource:  {} (account {})",
        req.resource,
        req.resource_account.as_deref().unwrap_or("unknown")
    );
    out.push_str("context:\n");
    for (k, v) in &req.context.values {
        let _ = writeln!(out, "  {k} = {}", v.join(", "));
    }
    for k in &req.context.absent {
        let _ = writeln!(out, "  {k}: absent");
    }
    for (k, ps) in &req.context.not_matching {
        let _ = writeln!(out, "  {k}: not {} (absent, or another value)", not_x(ps));
    }
    for p in &req.context.absent_prefixes {
        let _ = writeln!(out, "  {p}*: absent unless listed above");
    }
    for (k, why) in unknown_keys(req, eval) {
        let _ = writeln!(out, "  {k}: unknown ({why})");
    }
    out.push_str("  (any other key: unknown)\n");
    let _ = write!(out, "decision:  {}", decision_word(eval.decision));
    match (eval.decision, eval.allowed) {
        (Decision::Unknown, Some(false)) => {
            out.push_str(" (denied either way; explicit or implicit depends on unknowns)")
        }
        (Decision::Unknown, _) => out.push_str(" (depends on unknowns)"),
        _ => {}
    }
    out.push('\n');
    match eval.same_account {
        Some(true) => out.push_str("scope:     same account\n"),
        Some(false) => out.push_str("scope:     cross-account\n"),
        None => {}
    }
    for b in &eval.blockers {
        let _ = write!(
            out,
            "blocked by: {} ({})",
            layer_name(b.layer),
            decision_word(b.deny)
        );
        for s in &b.statements {
            let _ = write!(out, " {} `{}`", s.policy_id, s.statement);
        }
        if let Some(l) = &b.level {
            let _ = write!(out, " at level {l}");
        }
        out.push('\n');
    }
    for u in &eval.unknowns {
        let _ = writeln!(out, "unknown:   {u}");
    }
    out.push_str("layers:\n");
    for l in &eval.layers {
        layer(&mut out, l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::authorize;
    use crate::policy::tests::fixtures::*;
    use crate::policy::Known;

    #[test]
    fn text_names_request_decision_blocker_and_reasons() {
        let mut i = input();
        i.identity = Known::Known(vec![pol(
            "arn:aws:iam::111122223333:policy/p",
            r#"{"Statement":[{"Sid":"NoGet","Effect":"Deny","Action":"s3:GetObject","Resource":"*"},{"Sid":"Put","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}"#,
        )]);
        let r = req(user(A, "alice"), "s3:GetObject", OBJECT);
        let e = authorize(&r, &i);
        let t = render_text(&r, &e);
        assert!(
            t.contains("principal: arn:aws:iam::111122223333:user/alice"),
            "{t}"
        );
        assert!(t.contains("aws:sourcevpce: absent"), "{t}");
        assert!(t.contains("decision:  explicit deny"), "{t}");
        assert!(t.contains("blocked by: identity-based policy (explicit deny) arn:aws:iam::111122223333:policy/p `NoGet`"), "{t}");
        assert!(
            t.contains("Allow `Put`: does not apply: action not matched"),
            "{t}"
        );
        let json = serde_json::to_value(Trace::new(&r, &e)).expect("serializes");
        assert_eq!(json["evaluation"]["decision"], "explicit_deny");
        assert_eq!(
            json["evaluation"]["layers"][4]["policies"][0]["statements"][1]["why"][0]["code"],
            "action_not_matched"
        );
    }
}
