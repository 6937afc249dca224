//! skulint: lint and fix SKU and stock data in marketplace listing exports.
//!
//! The pipeline runs in one direction:
//! read ([`table::read`]) → table ([`table::Table`]) → rules ([`rules`]) →
//! diagnostics ([`diagnostic`]) → emit ([`emit`]), run by the [`engine`]; the
//! command line ([`cli`], [`commands`]) only parses and prints. [`diagnose`] explains the
//! sync errors channels report.

pub mod channel;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diagnose;
pub mod diagnostic;
pub mod emit;
pub mod engine;
pub mod fix;
pub mod inventory;
pub mod plan;
pub mod rules;
pub mod serve;
pub mod table;
pub mod text;
pub mod workers;
