//! `BinaryEquals`: the policy holds base64 text, the request's value is base64 too; compared
//! as text (byte for byte), which is what equal binary data gives.

pub fn matches(vals: &[String], v: &str) -> bool {
    vals.iter().any(|p| p.trim() == v.trim())
}
