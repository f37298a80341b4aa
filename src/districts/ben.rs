//! Plans of an ensemble as mggg's binary ensemble format (BEN, crate `binary-ensemble`), in its Markov-chain
//! variant: each distinct plan once, followed by how many consecutive samples repeat it (a self-loop repeats
//! the plan). Each plan's bytes come from the crate's own encoder (`encode_ben_vec_from_assign`); the repeat
//! framing is the format's two big-endian bytes, so a run of more than 65,535 repeats is written as several
//! records. Or canonical JSON lines `{"assignment": [...], "sample": n}`, the form `ben` decodes to.

use std::fmt::Write as _;
use std::io::Write;

/// The 17-byte header of a Markov-chain BEN file.
pub const HEADER: &[u8; 17] = b"MKVCHAIN BEN FILE";

/// How plans are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanFormat {
    /// `plans.ben` (binary ensemble).
    Ben,
    /// `plans.jsonl`: `{"assignment": [...], "sample": n}` per sample.
    Jsonl,
    /// No plans, statistics only.
    None,
}

/// Writes the samples of one chain (without the file header, so chains can be concatenated).
pub struct PlanWriter<W: Write> {
    out: W,
    format: PlanFormat,
    previous: Vec<u8>,
    count: u16,
    /// Samples written so far (for the JSONL `sample` field, counted from `first_sample`).
    next_sample: u64,
    scratch: Vec<u16>,
}

impl<W: Write> PlanWriter<W> {
    /// A writer whose first sample is numbered `first_sample` (JSONL).
    pub fn new(out: W, format: PlanFormat, first_sample: u64) -> Self {
        PlanWriter { out, format, previous: Vec::new(), count: 0, next_sample: first_sample, scratch: Vec::new() }
    }

    /// Writes one sample: the district (0-based) of every node.
    pub fn sample(&mut self, assignment: &[u32]) -> std::io::Result<()> {
        match self.format {
            PlanFormat::None => Ok(()),
            PlanFormat::Jsonl => {
                let mut line = String::with_capacity(assignment.len() * 3 + 40);
                line.push_str("{\"assignment\":[");
                for (i, &d) in assignment.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    let _ = write!(line, "{}", d + 1);
                }
                let _ = writeln!(line, "],\"sample\":{}}}", self.next_sample);
                self.next_sample += 1;
                self.out.write_all(line.as_bytes())
            }
            PlanFormat::Ben => {
                self.scratch.clear();
                for &d in assignment {
                    let label = u16::try_from(d + 1).map_err(|_| {
                        std::io::Error::new(std::io::ErrorKind::InvalidInput, "BEN holds at most 65,535 districts")
                    })?;
                    self.scratch.push(label);
                }
                let encoded = ben::encode::encode_ben_vec_from_assign(self.scratch.clone());
                if self.count > 0 && encoded == self.previous && self.count < u16::MAX {
                    self.count += 1;
                    return Ok(());
                }
                self.flush_record()?;
                self.previous = encoded;
                self.count = 1;
                Ok(())
            }
        }
    }

    fn flush_record(&mut self) -> std::io::Result<()> {
        if self.count > 0 {
            self.out.write_all(&self.previous)?;
            self.out.write_all(&self.count.to_be_bytes())?;
            self.count = 0;
        }
        Ok(())
    }

    /// Writes what is pending and returns the sink.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.flush_record()?;
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ben_round_trips_through_the_crates_decoder_with_repeats() {
        let plans: Vec<Vec<u32>> =
            vec![vec![0, 0, 1, 1, 2], vec![0, 0, 1, 1, 2], vec![1, 0, 0, 2, 2], vec![0, 1, 1, 1, 2]];
        let mut w = PlanWriter::new(Vec::new(), PlanFormat::Ben, 1);
        for p in &plans {
            w.sample(p).unwrap();
        }
        let mut bytes = HEADER.to_vec();
        bytes.extend(w.finish().unwrap());
        let decoded: Vec<(Vec<u16>, u16)> =
            ben::decode::BenDecoder::new(bytes.as_slice()).unwrap().map(|r| r.unwrap()).collect();
        let mut expanded = Vec::new();
        for (a, n) in decoded {
            for _ in 0..n {
                expanded.push(a.iter().map(|&x| u32::from(x) - 1).collect::<Vec<u32>>());
            }
        }
        assert_eq!(expanded, plans);
    }
}
