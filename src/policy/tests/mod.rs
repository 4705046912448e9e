//! Engine tests that span modules: the real policy corpus, AWS's documented scenarios (each
//! named after the rule it checks) and the naive oracle they are compared with.

mod access_points;
mod corpus;
pub mod fixtures;
mod not_matching;
pub(crate) mod oracle;
mod principals;
mod scenarios;
mod unknown_layers;
