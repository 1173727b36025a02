//! `walab config path | show | set KEY VALUE | unset KEY | reset`.

use crate::report::{errln, outln};
use std::io::{BufRead, IsTerminal, Read};
use std::process::ExitCode;

use crate::cli::{ConfigAction, ConfigArgs};
use crate::report::Failure;
use crate::settings::{Dirs, Field, SettingsError, ValuesFile};
use crate::target::TargetArgs;

pub async fn run(args: ConfigArgs, target: &TargetArgs) -> Result<ExitCode, Failure> {
    let dirs = Dirs::from_env()?;
    if let ConfigAction::Path = args.action {
        outln!("values   {}", dirs.values_file().display());
        outln!("lab      {}", dirs.lab_dir().display());
        outln!("log      {}", dirs.log_file().display());
        outln!("progress {}", crate::tui::store::path(&dirs.data).display());
        return Ok(ExitCode::SUCCESS);
    }
    let target = crate::target::values_key(target).await?;
    edit(&dirs, &target, args.action)?;
    Ok(ExitCode::SUCCESS)
}

fn edit(dirs: &Dirs, target: &str, action: ConfigAction) -> Result<(), SettingsError> {
    let path = dirs.values_file();
    let mut file = ValuesFile::load(&path)?;
    let mut values = file.values(target);
    match action {
        ConfigAction::Path => return Ok(()),
        ConfigAction::Show => {
            outln!("Recorded values for {target} ({})", path.display());
            for key in Field::ALL {
                let shown = values.display(key).unwrap_or_else(|| "(not recorded)".to_string());
                outln!("  {:<20} {shown}", key.name());
            }
            return Ok(());
        }
        ConfigAction::Set { key, value } => {
            let key = Field::parse(&key)?;
            if key.is_secret() && value != "-" {
                errln!(
                    "warning: a secret given as an argument is visible to other users of this machine (ps, shell \
                     history); next time give - and the value on standard input: walab config set {} -",
                    key.name()
                );
            }
            let raw = if value == "-" { read_stdin(key)? } else { value };
            let value = key.validate(&raw)?;
            values.set(key, Some(value));
            let shown = values.display(key).unwrap_or_default();
            file.put(target, values);
            file.save(&path)?;
            errln!("Recorded {} = {shown} for {target}", key.name());
        }
        ConfigAction::Unset { key } => {
            let key = Field::parse(&key)?;
            values.set(key, None);
            file.put(target, values);
            file.save(&path)?;
            errln!("Forgot {} for {target}", key.name());
        }
        ConfigAction::Reset => {
            file.put(target, Default::default());
            file.save(&path)?;
            errln!("Forgot every recorded value for {target}");
        }
    }
    Ok(())
}

/// Reads a value from stdin: hidden at a terminal for the secret, else one line.
fn read_stdin(key: Field) -> Result<String, SettingsError> {
    let io = |source| SettingsError::Read { path: "standard input".into(), source };
    if std::io::stdin().is_terminal() && key.is_secret() {
        return rpassword::prompt_password(format!("{} (hidden): ", key.label())).map_err(io);
    }
    if std::io::stdin().is_terminal() {
        eprint!("{}: ", key.label());
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(io)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    // One value is one line: a second one (a secret pasted with something after it) is refused
    // rather than silently dropped. Reading stops a little past any value's size.
    let mut text = String::new();
    std::io::stdin().lock().take(MAX_STDIN).read_to_string(&mut text).map_err(io)?;
    one_line(key, &text)
}

/// More than any value walab records (the longest, a URL, is at most a few hundred bytes).
const MAX_STDIN: u64 = 8 * 1024;

/// The single line a value read from stdin must be, without its line ending.
fn one_line(key: Field, text: &str) -> Result<String, SettingsError> {
    let value = text.strip_suffix('\n').map(|v| v.strip_suffix('\r').unwrap_or(v)).unwrap_or(text);
    if value.contains(['\n', '\r']) {
        let lines = value.lines().count();
        return Err(SettingsError::BadValue {
            key: key.name(),
            value: if key.is_secret() { "(hidden)".into() } else { format!("{lines} lines") },
            reason: format!("standard input holds {lines} lines; give the value alone, on one line"),
        });
    }
    if text.len() as u64 >= MAX_STDIN {
        return Err(SettingsError::BadValue {
            key: key.name(),
            value: "(too long)".into(),
            reason: format!("standard input holds more than {MAX_STDIN} bytes; no value is that long"),
        });
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_on_stdin_is_one_line() {
        assert_eq!(one_line(Field::AppClientSecret, "s3cr3t\n").unwrap(), "s3cr3t");
        assert_eq!(one_line(Field::AppClientSecret, "s3cr3t\r\n").unwrap(), "s3cr3t");
        assert_eq!(one_line(Field::AppClientSecret, "s3cr3t").unwrap(), "s3cr3t");
        let err = one_line(Field::AppClientSecret, "s3cr3t\nmore\n").unwrap_err().to_string();
        assert!(err.contains("2 lines") && !err.contains("s3cr3t"), "{err}");
        let long = "x".repeat(MAX_STDIN as usize);
        assert!(one_line(Field::Username, &long).unwrap_err().to_string().contains("more than"));
    }
}
