//! Renderers: each turns a [`Summary`](super::summary::Summary) into one output format and
//! nothing else, so every format shows the same numbers.

pub mod chart;
pub mod html;
pub mod markdown;
pub mod table;
