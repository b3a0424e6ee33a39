//! The summary: ratios of criterion's mean estimates, the deterministic
//! checks, and the environment, as markdown.

use std::fmt::Write;
use std::path::PathBuf;

use super::{Check, Env, Ratio};

fn criterion_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| "target".into());
    target.join("criterion")
}

/// Criterion's mean estimate for `group/function`, in nanoseconds.
pub fn mean_ns(id: &str) -> Option<f64> {
    let path = criterion_dir().join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["mean"]["point_estimate"].as_f64()
}

pub fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.1} µs", ns / 1e3)
    }
}

pub fn write(
    env: &Env,
    ratios: &[Ratio],
    sizes: Option<&(usize, i64, i64)>,
    checks: &[Check],
    notes: &[String],
) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## aems benchmark ({} mode, {} backend, {})\n",
        if env.quick { "quick" } else { "full" },
        env.test_db.backend(),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    );
    let _ = writeln!(md, "| measurement | library | baseline | ratio | target |");
    let _ = writeln!(md, "|---|---|---|---|---|");
    for r in ratios {
        match (mean_ns(r.library), mean_ns(r.baseline)) {
            (Some(lib), Some(base)) => {
                let ratio = lib / base;
                let target = if r.target.is_nan() {
                    "—".to_owned()
                } else if ratio <= r.target {
                    format!("≤ {} ✓", r.target)
                } else {
                    format!("≤ {} ✗", r.target)
                };
                let _ = writeln!(
                    md,
                    "| {} | {} | {} | {:.2} | {} |",
                    r.label,
                    human(lib),
                    human(base),
                    ratio,
                    target
                );
            }
            _ => {
                let _ = writeln!(md, "| {} | not measured | | | |", r.label);
            }
        }
    }
    if let Some(&(rows, v7, v4)) = sizes {
        let _ = writeln!(
            md,
            "| primary-key index of {rows} UUIDv7 ÷ UUIDv4 ids | {} kB | {} kB | {:.2} | ≤ 0.85 {} |",
            v7 / 1024,
            v4 / 1024,
            v7 as f64 / v4 as f64,
            if (v7 as f64 / v4 as f64) <= 0.85 {
                "✓"
            } else {
                "✗"
            }
        );
    }
    if env.load_rows > 0 {
        let _ = writeln!(
            md,
            "| bulk load of {} customers through create_many | {:.0} rows/s | | | ≥ 20,000 rows/s {} |",
            env.load_rows,
            env.load_rows_per_second,
            if env.load_rows_per_second >= 20_000.0 {
                "✓"
            } else {
                "✗"
            }
        );
    }
    let _ = writeln!(md, "\n| deterministic check | result | observed |");
    let _ = writeln!(md, "|---|---|---|");
    for c in checks {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            c.name,
            if c.passed { "pass" } else { "FAIL" },
            c.detail
        );
    }
    if !notes.is_empty() {
        let _ = writeln!(md, "\nPlans observed (reported, not checked):\n");
        for note in notes {
            let _ = writeln!(md, "- {note}");
        }
    }
    let dir = criterion_dir()
        .parent()
        .map(|p| p.join("aems-bench"))
        .unwrap_or_else(|| "aems-bench".into());
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("summary.md"), &md);
    md
}
