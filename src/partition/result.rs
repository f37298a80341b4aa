//! What a partition produces: sites and what they stand for, communities, basic grids, the households in no
//! grid with the reason, feasibility certificates and policy crossings.

use crate::model::Dataset;
use serde::Serialize;

/// What a site stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", content = "index", rename_all = "snake_case")]
pub enum Member {
    /// A building (index into `Dataset::buildings`).
    Building(usize),
    /// A household point in no building (index into `Dataset::households`).
    Household(usize),
}

impl Member {
    /// Its source id and what it is (`building` or `household`), as written in outputs.
    pub fn id<'a>(&self, d: &'a Dataset) -> (&'a str, &'static str) {
        match *self {
            Member::Building(i) => (&d.buildings[i].id, "building"),
            Member::Household(i) => (&d.households[i].id, "household"),
        }
    }

    /// Persons living there.
    pub fn persons(&self, d: &Dataset) -> u64 {
        match *self {
            Member::Building(i) => u64::from(d.buildings[i].persons),
            Member::Household(i) => u64::from(d.households[i].persons),
        }
    }
}

/// A place households live: a residential building or a loose household point.
#[derive(Debug, Clone)]
pub struct Site {
    /// What it is.
    pub member: Member,
    /// Where, local metres.
    pub point: geo::Point,
    /// Households.
    pub households: u32,
    /// Compound, if any.
    pub compound: Option<usize>,
    /// Stack of overlapping building footprints, if any (`Building::stack`): always one unit.
    pub stack: Option<usize>,
    /// Street admin area.
    pub street: Option<usize>,
    /// Community admin area from the data, if any.
    pub community: Option<usize>,
}

/// Why households are not in any grid.
#[derive(Debug, Clone, Serialize)]
pub struct Unassigned {
    /// The site.
    pub member: Member,
    /// Households.
    pub households: u32,
    /// Why.
    pub reason: String,
}

/// A community: from the data, or built from compounds.
#[derive(Debug, Clone, Serialize)]
pub struct Community {
    /// Id: the admin area's code or id, or `STREET-C01` when built.
    pub id: String,
    /// Name.
    pub name: String,
    /// Street index.
    pub street: usize,
    /// Admin-area index when the community comes from the data.
    pub admin_area: Option<usize>,
    /// Sites (indices into `Partition::sites`).
    pub sites: Vec<usize>,
    /// Households.
    pub households: u64,
    /// Index into `Partition::certificates` when a built community is outside the community band.
    pub certificate: Option<usize>,
}

/// Why a grid is outside its band, and what could be done.
#[derive(Debug, Clone, Serialize)]
pub struct Certificate {
    /// `community` or `grid`.
    pub level: String,
    /// Households of the connected component (after barriers) the grid belongs to.
    pub component_households: u64,
    /// Feasible numbers of grids for the component, if any.
    pub feasible_k: Option<(u64, u64)>,
    /// Why no in-band plan exists.
    pub reason: String,
    /// How that is known.
    pub proof: Proof,
    /// The cheapest remedies, cheapest first.
    pub remedies: Vec<String>,
    /// What this run did.
    pub action: String,
}

/// How a certificate's claim that no in-band plan exists is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Proof {
    /// Arithmetic: no k with k·min ≤ H ≤ k·max for the households H of a piece that barriers cut off.
    KWindow,
    /// One unit (a building) holds more households than the upper bound, and a building is never split.
    UnitOverUpper,
    /// Counting: the piece needs more grids (⌈H ÷ max⌉) than it has units, and every grid holds a unit.
    FewerUnitsThanGrids,
    /// Exhaustive search: no partition of the piece into connected in-band grids exists under the rules in
    /// force (compounds whole, or opened as listed in `split_compounds`).
    Exhaustive {
        /// Candidate grids examined.
        searched: u64,
    },
    /// Not an impossibility: the planner locked this grid (`[replan] locked`), so a rerun keeps it as it is.
    Locked,
    /// Not an impossibility: the rerun's budget (`--max-moved`) was spent before this grid could be repaired.
    Budget,
    /// Not a proof: the search gave up. Counted as unexplained in `check.json`.
    NotProved {
        /// Candidate grids examined by exact search.
        searched: u64,
        /// Spanning trees drawn.
        trees: u64,
    },
}

impl Proof {
    /// Its name in outputs.
    pub fn kind(&self) -> &'static str {
        match self {
            Proof::KWindow => "k_window",
            Proof::UnitOverUpper => "unit_over_upper",
            Proof::FewerUnitsThanGrids => "fewer_units_than_grids",
            Proof::Exhaustive { .. } => "exhaustive",
            Proof::Locked => "locked",
            Proof::Budget => "budget",
            Proof::NotProved { .. } => "not_proved",
        }
    }

    /// Whether the grid being out of band is explained: proved impossible, or a rule the planner set (a lock,
    /// the rerun's budget).
    pub fn is_proof(&self) -> bool {
        !matches!(self, Proof::NotProved { .. })
    }
}

/// A compound divided between grids, and why.
#[derive(Debug, Clone, Serialize)]
pub struct SplitCompound {
    /// Index into `Dataset::compounds`.
    pub compound: usize,
    /// Households in it.
    pub households: u64,
    /// Why, in a word: `opened` (its piece has no in-band plan with it whole), `over_upper` (more households
    /// than a grid holds), `barrier` (its buildings are not linked without crossing a hard barrier),
    /// `dedicated` (part of it lies inside a dedicated grid) or `previous` (a rerun kept it divided as the
    /// previous plan had it).
    pub kind: &'static str,
    /// Why it was divided.
    pub reason: String,
}

/// One grid.
#[derive(Debug, Clone, Serialize)]
pub struct Grid {
    /// Index of its community in `Partition::communities`.
    pub community: usize,
    /// Sites (indices into `Partition::sites`), ascending.
    pub sites: Vec<usize>,
    /// Households.
    pub households: u64,
    /// Index into `Partition::certificates` when the grid is out of band.
    pub certificate: Option<usize>,
    /// The grid of the previous plan it continues (index into `PreviousPlan::grids`), whose id and code it
    /// keeps; `None` for a new grid or a plan from scratch.
    pub previous: Option<usize>,
}

/// The result of partitioning a dataset.
#[derive(Debug, Clone)]
pub struct Partition {
    /// Every site that holds households.
    pub sites: Vec<Site>,
    /// Communities, by street then position.
    pub communities: Vec<Community>,
    /// Basic grids, by community then position.
    pub grids: Vec<Grid>,
    /// Dedicated grids (专属网格), pinned before basic grids were drawn.
    pub dedicated: Vec<super::dedicated::DedicatedGrid>,
    /// Households in no grid, with the reason.
    pub unassigned: Vec<Unassigned>,
    /// Certificates of out-of-band grids and communities.
    pub certificates: Vec<Certificate>,
    /// Barriers crossed on purpose by the undersize policy.
    pub policy_crossings: Vec<PolicyCrossing>,
    /// Compounds divided between grids on purpose (too big for one grid, or opened because the band needed it).
    pub split_compounds: Vec<SplitCompound>,
    /// The previous plan a rerun started from, with what it kept (`None` for a plan from scratch).
    pub replan: Option<super::replan::Replanned>,
}

/// A partition that placed no household in any grid.
#[derive(Debug, thiserror::Error)]
#[error("no household could be placed in a grid: {0}")]
pub struct NothingPlanned(pub String);

impl Partition {
    /// Households in a basic or dedicated grid.
    pub fn assigned_households(&self) -> u64 {
        self.grids.iter().map(|g| g.households).sum::<u64>() + self.dedicated.iter().map(|g| g.households).sum::<u64>()
    }

    /// Households in no grid.
    pub fn unassigned_households(&self) -> u64 {
        self.unassigned.iter().map(|u| u64::from(u.households)).sum()
    }

    /// Households in no grid by reason, most first: the line a planner must see before anything else.
    pub fn unassigned_summary(&self) -> String {
        let mut by: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
        for u in &self.unassigned {
            *by.entry(u.reason.as_str()).or_default() += u64::from(u.households);
        }
        let mut v: Vec<(&str, u64)> = by.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        v.iter().map(|(r, h)| format!("{h} households {r}")).collect::<Vec<_>>().join("; ")
    }

    /// An error when nothing was planned (no household in any grid), with the reasons.
    pub fn ensure_planned(&self) -> Result<(), NothingPlanned> {
        if self.assigned_households() > 0 {
            return Ok(());
        }
        let why = if self.unassigned.is_empty() {
            "the data hold no household (no residential building, no household point)".to_string()
        } else {
            self.unassigned_summary()
        };
        Err(NothingPlanned(why))
    }

    /// The basic grid of each site (`usize::MAX` for sites in a dedicated grid).
    pub fn grid_of_site(&self) -> Vec<usize> {
        let mut out = vec![usize::MAX; self.sites.len()];
        for (g, grid) in self.grids.iter().enumerate() {
            for &s in &grid.sites {
                out[s] = g;
            }
        }
        out
    }
}

/// A barrier crossed on purpose under `undersize = "merge-across-minor-barrier"`.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyCrossing {
    /// The barrier's id.
    pub barrier: String,
    /// Its class.
    pub class: String,
    /// Households of the piece that could not be in band on its own.
    pub piece_households: u64,
    /// Households of the joined piece.
    pub joined_households: u64,
}
