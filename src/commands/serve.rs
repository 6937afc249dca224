//! `skulint serve`: the checks, fixes and diagnoses as a local web page and API.
//!
//! Every run the server makes on an upload goes through [`CommandLine`]: the
//! arguments the command line would build, handed to the same functions the
//! `check`, `fix`, `layout` and `diagnose` commands run, with every output
//! written where the server says (the upload's private folder). So an answer
//! of the API is the command's result on the same file.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ValueEnum;

use super::ExitStatus;
use crate::cli::{
    ChannelChoice, CheckArgs, DiagnoseArgs, DiagnoseFormat, FixArgs, LayoutArgs, LintOptions,
    OutputOptions, ReportTarget, RulesFormat, ServeArgs,
};
use crate::emit::OutputFormat;
use crate::serve::{Commands, ServeOptions};
use crate::table::read::Size;

pub fn serve(args: &ServeArgs) -> Result<ExitStatus> {
    let options = ServeOptions {
        bind: args.bind.clone(),
        open: args.open,
        token: args.token.clone(),
        max_upload: args.max_upload.0,
        workers: args.workers,
        read_timeout: std::time::Duration::from_secs(args.read_timeout),
    };
    let commands = CommandLine {
        config: args.config.clone(),
        max_file_size: args.max_file_size,
        max_cells: args.max_cells,
    };
    crate::serve::serve(&options, Box::new(commands))?;
    Ok(ExitStatus::Clean)
}

/// The options of `skulint serve` that every run on an upload is given.
struct CommandLine {
    config: Option<PathBuf>,
    max_file_size: Option<Size>,
    max_cells: Option<u64>,
}

impl CommandLine {
    fn lint(&self) -> LintOptions {
        LintOptions {
            config: self.config.clone(),
            max_file_size: self.max_file_size,
            max_cells: self.max_cells,
            ..LintOptions::default()
        }
    }
}

impl Commands for CommandLine {
    fn check_config(&self) -> Result<()> {
        crate::engine::load_config(self.config.as_deref()).map(|_| ())
    }

    fn check(&self, file: &Path, format: OutputFormat, report: &Path, json: &Path) -> Result<()> {
        let args = CheckArgs {
            paths: vec![file.to_path_buf()],
            lint: self.lint(),
            output: OutputOptions {
                output_format: format,
                output_file: Some(report.to_path_buf()),
                reports: vec![ReportTarget {
                    format: OutputFormat::Json,
                    path: json.to_path_buf(),
                }],
                ..OutputOptions::default()
            },
        };
        super::check(&args).map(|_| ())
    }

    fn fix(&self, file: &Path, folder: &Path, changes: &Path, report: &Path) -> Result<()> {
        let args = FixArgs {
            paths: vec![file.to_path_buf()],
            output: Some(folder.to_path_buf()),
            unsafe_fixes: false,
            diff: false,
            in_place: false,
            changes: Some(changes.to_path_buf()),
            rebuild: false,
            lint: self.lint(),
            output_options: OutputOptions {
                output_format: OutputFormat::Json,
                output_file: Some(report.to_path_buf()),
                quiet: true,
                ..OutputOptions::default()
            },
        };
        super::fix(&args).map(|_| ())
    }

    fn layout(&self, file: &Path) -> Result<Vec<u8>> {
        let args = LayoutArgs {
            paths: vec![file.to_path_buf()],
            lint: self.lint(),
            output_format: RulesFormat::Json,
        };
        let mut out = Vec::new();
        super::layout_into(&args, &mut out)?;
        Ok(out)
    }

    fn diagnose(&self, message: &str, sku: Option<&str>, channel: Option<&str>) -> Result<Vec<u8>> {
        let channel = match channel {
            None => ChannelChoice::Auto,
            Some(given) => ChannelChoice::from_str(given, true).map_err(|_| {
                anyhow::anyhow!(
                    "channel {given:?}: expected auto, shopee, lazada, tiktok or generic"
                )
            })?,
        };
        let args = DiagnoseArgs {
            messages: vec![message.to_string()],
            sku: sku.map(str::to_string),
            file: None,
            channel,
            sync_status_column: None,
            sku_column: None,
            header_row: None,
            sheet: Vec::new(),
            output_format: DiagnoseFormat::Json,
        };
        let mut out = Vec::new();
        super::diagnose_into(&args, &mut out)?;
        out.flush()?;
        Ok(out)
    }
}
