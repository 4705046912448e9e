//! Session policies recovered from the logs themselves.
//!
//! No snapshot holds a session policy: it is passed at `AssumeRole` /
//! `AssumeRoleWithSAML` / `AssumeRoleWithWebIdentity` / `GetFederationToken` and lives only in
//! the session. CloudTrail logs it in `requestParameters.policy` (inline JSON) and
//! `requestParameters.policyArns` (managed policies), next to the issued
//! `responseElements.credentials.accessKeyId` (the real GetFederationToken record of the
//! stratus-red-team corpus shows both). Joining that key to the S3 event's
//! `userIdentity.accessKeyId` gives the session's policy.

use crate::record::Event;
use serde_json::Value;

/// What an STS record says about the session it issued.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionEvidence {
    /// `responseElements.credentials.accessKeyId`: the join key.
    pub access_key_id: String,
    /// The inline session policy document, as logged (a JSON string).
    pub inline_policy: Option<String>,
    /// ARNs of the managed session policies (`policyArns[].arn`).
    pub policy_arns: Vec<String>,
    /// The STS record, for `explain` and `reason`.
    pub event_id: String,
    pub event_name: String,
}

impl SessionEvidence {
    /// Whether the session had any session policy at all.
    pub fn has_policy(&self) -> bool {
        self.inline_policy.is_some() || !self.policy_arns.is_empty()
    }
}

/// STS calls whose record carries a session policy and the issued key.
pub const STS_SESSION_EVENTS: [&str; 4] = [
    "AssumeRole",
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "GetFederationToken",
];

/// Reads a successful STS record; `None` for anything else (a failed call issued no key).
pub fn from_sts_event(event: &Event) -> Option<SessionEvidence> {
    if event.event_source.as_deref() != Some("sts.amazonaws.com") || event.error_code.is_some() {
        return None;
    }
    let name = event.event_name.as_deref()?;
    if !STS_SESSION_EVENTS.contains(&name) {
        return None;
    }
    let key = event
        .response_elements
        .as_ref()?
        .get("credentials")?
        .get("accessKeyId")?
        .as_str()?
        .to_owned();
    let params = event.request_parameters.as_ref();
    let inline_policy = params
        .and_then(|p| p.get("policy"))
        .and_then(|p| match p {
            Value::String(s) => Some(s.clone()),
            Value::Object(_) => Some(p.to_string()),
            _ => None,
        })
        .filter(|s| !s.trim().is_empty());
    let policy_arns = params
        .and_then(|p| p.get("policyArns"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| match x {
                    Value::String(s) => Some(s.clone()),
                    Value::Object(_) => x.get("arn").and_then(Value::as_str).map(str::to_owned),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Some(SessionEvidence {
        access_key_id: key,
        inline_policy,
        policy_arns,
        event_id: event.id().to_owned(),
        event_name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ev(v: Value) -> Event {
        serde_json::from_value(v).unwrap()
    }

    /// The shape of the real GetFederationToken record (stratus-red-team corpus).
    #[test]
    fn reads_inline_policy_and_key_from_get_federation_token() {
        let e = ev(json!({
            "eventID": "e1", "eventSource": "sts.amazonaws.com", "eventName": "GetFederationToken",
            "requestParameters": {"name": "x", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"},
            "responseElements": {"credentials": {"accessKeyId": "ASIAEXAMPLE"}}
        }));
        let s = from_sts_event(&e).unwrap();
        assert_eq!(s.access_key_id, "ASIAEXAMPLE");
        assert!(s.inline_policy.unwrap().contains("Statement"));
    }

    #[test]
    fn reads_policy_arns_from_assume_role_and_skips_failures() {
        let mut v = json!({
            "eventID": "e2", "eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
            "requestParameters": {"roleArn": "arn:aws:iam::1:role/r", "policyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]},
            "responseElements": {"credentials": {"accessKeyId": "ASIA2"}}
        });
        let s = from_sts_event(&ev(v.clone())).unwrap();
        assert_eq!(
            s.policy_arns,
            vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".to_owned()]
        );
        assert!(s.has_policy());
        v["errorCode"] = json!("AccessDenied");
        assert!(from_sts_event(&ev(v)).is_none());
    }
}
