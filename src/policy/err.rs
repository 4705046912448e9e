//! Errors of the policy engine. Only parsing can fail: evaluation never errors, it answers
//! `Unknown` with a reason instead (cedar style: an answer with its "why" as data).
//!
//! Messages follow the cedar conventions: lowercase, no final period, user input in backticks,
//! the policy and statement named first so a reader can find the line to fix.

use thiserror::Error;

/// A policy document that cannot be compiled. Every variant names the policy id; statement
/// problems also name the statement (`Sid`, else `#N`, 0-based).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    #[error("policy `{policy}`: not valid JSON: {detail}")]
    Json { policy: String, detail: String },
    #[error("policy `{policy}`: not a policy document: {detail}")]
    Document { policy: String, detail: String },
    #[error("policy `{policy}` statement `{statement}`: {problem}")]
    Statement {
        policy: String,
        statement: String,
        problem: StatementProblem,
    },
}

/// What is wrong with one statement.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StatementProblem {
    #[error("statement is not a JSON object")]
    NotAnObject,
    #[error("`Effect` must be `Allow` or `Deny`, found `{0}`")]
    BadEffect(String),
    #[error("`Effect` is missing")]
    MissingEffect,
    #[error("has both `{0}` and `Not{0}`")]
    BothElements(&'static str),
    #[error("has neither `Action` nor `NotAction`")]
    MissingAction,
    #[error("`{element}` must be a string or an array of strings, found {found}")]
    BadElementValue {
        element: &'static str,
        found: String,
    },
    #[error("`{element}` entry `{value}` is not valid: {why}")]
    BadEntry {
        element: &'static str,
        value: String,
        why: &'static str,
    },
    #[error("`{element}` has unknown principal type `{kind}`")]
    UnknownPrincipalType { element: &'static str, kind: String },
    #[error("`Condition` must be an object of operators")]
    BadCondition,
    #[error("unknown condition operator `{0}`")]
    UnknownOperator(String),
    #[error("condition operator `{op}` must map to an object of keys")]
    BadOperatorBody { op: String },
    #[error("condition `{op}` on `{key}`: values must be strings, numbers or booleans")]
    BadConditionValue { op: String, key: String },
}
