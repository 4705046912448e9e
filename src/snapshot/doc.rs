//! Policy documents as the AWS CLI and SDKs print them, decoded and compiled once at load.
//!
//! The same document reaches us in three forms: a JSON object (boto3 decodes IAM documents
//! itself, `cloudsplaining`'s GAAD is like that), a JSON string holding the document (bucket
//! policies, key policies, SCP `Content`, endpoint `PolicyDocument`), or a URL-encoded string
//! (the raw IAM API, `get-account-authorization-details` through some tools). [`decode`]
//! accepts all three so that the loader never cares where a file came from.

use crate::policy::{Policy, PolicyRef};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// Turns a document in any of the three forms into its JSON value.
pub fn decode(raw: &Value) -> Result<Value, String> {
    match raw {
        Value::Object(_) => Ok(raw.clone()),
        Value::String(s) => decode_str(s),
        other => Err(format!(
            "expected a policy document (object or string), found {}",
            kind(other)
        )),
    }
}

/// A document held in a string: plain JSON, or URL-encoded JSON as the IAM API returns it.
pub fn decode_str(s: &str) -> Result<Value, String> {
    let trimmed = s.trim_start();
    if trimmed.starts_with('{') {
        return serde_json::from_str(s).map_err(|e| format!("document is not valid JSON: {e}"));
    }
    // URL-encoded (RFC 3986, what IAM returns). A form-encoded copy writes spaces as `+`; a
    // literal `+` in the document is `%2B` in both, so trying `+` as space second is safe.
    let decoded = percent_decode_str(s)
        .decode_utf8()
        .map_err(|e| format!("URL-encoded document is not UTF-8: {e}"))?;
    match serde_json::from_str::<Value>(&decoded) {
        Ok(v) if v.is_object() => Ok(v),
        first => {
            let spaced = s.replace('+', " ");
            let decoded2 = percent_decode_str(&spaced)
                .decode_utf8()
                .map_err(|e| format!("URL-encoded document is not UTF-8: {e}"))?;
            match serde_json::from_str::<Value>(&decoded2) {
                Ok(v) if v.is_object() => Ok(v),
                _ => Err(match first {
                    Ok(_) => "document is not a JSON object".to_owned(),
                    Err(e) => format!("document is neither JSON nor URL-encoded JSON: {e}"),
                }),
            }
        }
    }
}

/// Compiles a decoded document under its id (ARN, `bucket-policy:<bucket>`, SCP id, endpoint
/// id, key ARN). This is the only place the snapshot hands documents to the engine, so every
/// policy is compiled exactly once, at load, and shared by all threads.
pub fn compile(id: &str, document: Value) -> Result<PolicyRef, String> {
    if !document.is_object() {
        return Err("document is not a JSON object".to_owned());
    }
    if document.get("Statement").is_none() {
        return Err("document has no `Statement`".to_owned());
    }
    Policy::parse_ref(id, &document).map_err(|e| e.to_string())
}

/// Decodes then compiles.
pub fn load(id: &str, raw: &Value) -> Result<PolicyRef, String> {
    compile(id, decode(raw)?)
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/a b+c"}]}"#;

    #[test]
    fn decodes_object_plain_string_and_url_encoded_forms_to_the_same_document() {
        let obj: Value = serde_json::from_str(DOC).unwrap();
        let encoded: String =
            percent_encoding::utf8_percent_encode(DOC, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        assert_eq!(decode(&obj).unwrap(), obj);
        assert_eq!(decode(&Value::String(DOC.into())).unwrap(), obj);
        assert_eq!(decode(&Value::String(encoded)).unwrap(), obj);
    }

    #[test]
    fn rejects_non_documents_with_a_reason() {
        assert!(decode(&json!(3)).unwrap_err().contains("a number"));
        assert!(decode(&json!("%7Bnot json")).is_err());
        assert!(compile("x", json!({"Version": "2012-10-17"}))
            .unwrap_err()
            .contains("Statement"));
    }
}
