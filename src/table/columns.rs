//! Column roles and channel profiles, loaded from `rules/columns.toml` and
//! `rules/channels.toml` (embedded at build time).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

/// What a column holds. The rules look columns up by role, never by header text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Sku,
    ParentSku,
    Stock,
    CampaignReserved,
    UnpaidReserved,
    ProductId,
    VariationId,
    ProductName,
    VariationName,
    Price,
    SyncStatus,
    Shop,
    /// Master inventory: the stock the warehouse can sell.
    Available,
    /// Master inventory: units kept back from every channel.
    SafetyStock,
    /// Whether the item is in stock, where the quantity is not counted
    /// (WooCommerce `In stock?` beside a blank `Stock`).
    StockStatus,
    /// Who tracks the item's stock (Shopify `Variant Inventory Tracker`):
    /// blank where nobody does, as on shipping protection or gift wrap.
    StockTracker,
}

impl Role {
    pub const ALL: [Role; 16] = [
        Role::Sku,
        Role::ParentSku,
        Role::Stock,
        Role::CampaignReserved,
        Role::UnpaidReserved,
        Role::ProductId,
        Role::VariationId,
        Role::ProductName,
        Role::VariationName,
        Role::Price,
        Role::SyncStatus,
        Role::Shop,
        Role::Available,
        Role::SafetyStock,
        Role::StockStatus,
        Role::StockTracker,
    ];

    /// The name used in `rules/columns.toml`, the config and the JSON report.
    pub fn key(self) -> &'static str {
        match self {
            Role::Sku => "sku",
            Role::ParentSku => "parent_sku",
            Role::Stock => "stock",
            Role::CampaignReserved => "campaign_reserved",
            Role::UnpaidReserved => "unpaid_reserved",
            Role::ProductId => "product_id",
            Role::VariationId => "variation_id",
            Role::ProductName => "product_name",
            Role::VariationName => "variation_name",
            Role::Price => "price",
            Role::SyncStatus => "sync_status",
            Role::Shop => "shop",
            Role::Available => "available",
            Role::SafetyStock => "safety_stock",
            Role::StockStatus => "stock_status",
            Role::StockTracker => "stock_tracker",
        }
    }

    pub fn from_key(key: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.key() == key.replace('-', "_"))
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// Normalises header text for matching: NFKC, lowercase, without `*`, punctuation
/// or spaces. `*Seller SKU`, `seller_sku` and `SELLER  SKU` all become `sellersku`.
pub fn normalize_header(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_lowercase)
        .filter(|c| c.is_alphanumeric() || is_combining_mark(*c))
        .collect()
}

/// Thai vowel and tone marks and Latin combining accents are part of a word.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}' | '\u{0E31}' | '\u{0E34}'..='\u{0E3A}' | '\u{0E47}'..='\u{0E4E}')
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleAliases {
    labels: Vec<String>,
    keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct LayoutWords {
    markers: Vec<String>,
    requirement_words: Vec<String>,
    example_sheets: Vec<String>,
    guide_sheets: Vec<String>,
    total_words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ColumnsFile {
    roles: HashMap<String, RoleAliases>,
    layout: LayoutWords,
}

/// How a header cell matched a role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliasKind {
    /// A machine key such as `et_title_variation_sku`.
    Key,
    /// A label people read, such as `SKU Induk`.
    Label,
}

/// The header vocabulary: normalised alias → the roles it may name.
pub struct Vocabulary {
    aliases: HashMap<String, Vec<(Role, AliasKind)>>,
    markers: Vec<String>,
    requirement_words: Vec<String>,
    example_sheets: Vec<String>,
    guide_sheets: Vec<String>,
    total_words: Vec<String>,
}

impl Vocabulary {
    pub fn get() -> &'static Vocabulary {
        static VOCABULARY: OnceLock<Vocabulary> = OnceLock::new();
        VOCABULARY.get_or_init(|| {
            let file: ColumnsFile = toml::from_str(include_str!("../../rules/columns.toml"))
                .expect("rules/columns.toml is valid (checked by tests)");
            let mut aliases: HashMap<String, Vec<(Role, AliasKind)>> = HashMap::new();
            for role in Role::ALL {
                let entry = file
                    .roles
                    .get(role.key())
                    .unwrap_or_else(|| panic!("rules/columns.toml lacks [roles.{}]", role.key()));
                let kinds = entry
                    .keys
                    .iter()
                    .map(|k| (k, AliasKind::Key))
                    .chain(entry.labels.iter().map(|l| (l, AliasKind::Label)));
                for (alias, kind) in kinds {
                    let roles = aliases.entry(normalize_header(alias)).or_default();
                    if !roles.contains(&(role, kind)) {
                        roles.push((role, kind));
                    }
                }
            }
            Vocabulary {
                aliases,
                markers: normalized(&file.layout.markers),
                requirement_words: normalized(&file.layout.requirement_words),
                example_sheets: normalized(&file.layout.example_sheets),
                guide_sheets: normalized(&file.layout.guide_sheets),
                total_words: normalized(&file.layout.total_words),
            }
        })
    }

    /// The roles a header cell may name, in the order `rules/columns.toml` lists them.
    pub fn roles_of(&self, normalized: &str) -> &[(Role, AliasKind)] {
        self.aliases
            .get(normalized)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The roles a header cell's text may name. Templates decorate known
    /// headers: Shopee's mass-upload keys carry flags (`ps_sku_short|0|0`),
    /// Shopify's inventory labels a note (`Available (not editable)`); the
    /// header without them is tried when the whole text names nothing.
    ///
    /// A header with a note or a qualifier (`On hand (new)`, Shopee's
    /// per-warehouse `Số lượng:Kho HCM`) is a label, never a machine key, so a
    /// key (`on_hand`) cannot claim it before the exact labels beside it.
    pub fn roles_of_header(&self, text: &str) -> Vec<(Role, AliasKind)> {
        let whole = self.roles_of(&normalize_header(text));
        if !whole.is_empty() {
            return whole.to_vec();
        }
        let trimmed = text.trim();
        if let Some((key, _)) = trimmed.split_once('|')
            && !key.contains(' ')
        {
            return self.roles_of(&normalize_header(key)).to_vec();
        }
        let bare = match trimmed.rfind('(') {
            Some(open) if trimmed.ends_with(')') && open > 0 => &trimmed[..open],
            _ => match trimmed.split_once(':') {
                Some((label, qualifier)) if !label.is_empty() && !qualifier.is_empty() => label,
                _ => return Vec::new(),
            },
        };
        let mut roles: Vec<(Role, AliasKind)> = Vec::new();
        for (role, _) in self.roles_of(&normalize_header(bare)) {
            if !roles.contains(&(*role, AliasKind::Label)) {
                roles.push((*role, AliasKind::Label));
            }
        }
        roles
    }

    pub fn is_marker(&self, normalized: &str) -> bool {
        self.markers.iter().any(|m| m == normalized)
    }

    pub fn is_requirement_word(&self, normalized: &str) -> bool {
        self.requirement_words.iter().any(|w| w == normalized)
    }

    /// Whether a sheet's normalised name names the channel's example sheet
    /// (`Example`, `Contoh Upload`, `Upload sample`).
    pub fn is_example_sheet(&self, normalized: &str) -> bool {
        self.example_sheets
            .iter()
            .any(|w| normalized.contains(w.as_str()))
    }

    /// Whether a cell's normalised text begins a totals row (`Total`, `Tổng cộng`).
    pub fn is_total_word(&self, normalized: &str) -> bool {
        self.total_words.iter().any(|w| w == normalized)
    }

    /// Whether a sheet's normalised name names instructions (`Instruction`, `Panduan`).
    pub fn is_guide_sheet(&self, normalized: &str) -> bool {
        self.guide_sheets
            .iter()
            .any(|w| normalized.contains(w.as_str()))
    }
}

fn normalized(words: &[String]) -> Vec<String> {
    words.iter().map(|w| normalize_header(w)).collect()
}

/// A marketplace, or `Generic` for any other export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Shopee,
    Lazada,
    Tiktok,
    Generic,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Shopee,
        Channel::Lazada,
        Channel::Tiktok,
        Channel::Generic,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Channel::Shopee => "shopee",
            Channel::Lazada => "lazada",
            Channel::Tiktok => "tiktok",
            Channel::Generic => "generic",
        }
    }

    pub fn profile(self) -> &'static ChannelProfile {
        &ChannelProfile::all()[&self]
    }
}

/// What a channel accepts in a seller SKU, and how its exports are recognised.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ChannelProfile {
    pub title: String,
    pub max_sku_length: Option<usize>,
    pub rejected_characters: String,
    pub spaces_allowed: bool,
    pub case_sensitive: bool,
    pub key_prefixes: Vec<String>,
    pub markers: Vec<String>,
    pub sheet_names: Vec<String>,
}

impl ChannelProfile {
    pub fn all() -> &'static HashMap<Channel, ChannelProfile> {
        static PROFILES: OnceLock<HashMap<Channel, ChannelProfile>> = OnceLock::new();
        PROFILES.get_or_init(|| {
            let mut by_name: HashMap<String, ChannelProfile> =
                toml::from_str(include_str!("../../rules/channels.toml"))
                    .expect("rules/channels.toml is valid (checked by tests)");
            Channel::ALL
                .into_iter()
                .map(|c| {
                    (
                        c,
                        by_name
                            .remove(c.key())
                            .unwrap_or_else(|| panic!("rules/channels.toml lacks [{}]", c.key())),
                    )
                })
                .collect()
        })
    }
}

/// `--channel`: a channel, or `auto` to detect it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelChoice {
    #[default]
    Auto,
    Shopee,
    Lazada,
    Tiktok,
    Generic,
}

impl ChannelChoice {
    pub fn channel(self) -> Option<Channel> {
        match self {
            ChannelChoice::Auto => None,
            ChannelChoice::Shopee => Some(Channel::Shopee),
            ChannelChoice::Lazada => Some(Channel::Lazada),
            ChannelChoice::Tiktok => Some(Channel::Tiktok),
            ChannelChoice::Generic => Some(Channel::Generic),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_load_and_cover_every_role_and_channel() {
        let vocabulary = Vocabulary::get();
        assert!(
            vocabulary
                .roles_of("sku")
                .iter()
                .any(|(r, _)| *r == Role::Sku)
        );
        assert_eq!(ChannelProfile::all().len(), Channel::ALL.len());
    }

    #[test]
    fn header_matching_ignores_case_marks_and_spacing() {
        assert_eq!(normalize_header("*Seller SKU"), "sellersku");
        assert_eq!(normalize_header("seller_sku"), "sellersku");
        assert_eq!(normalize_header("ＳＫＵ"), "sku");
        assert_eq!(normalize_header("Số lượng"), normalize_header("SỐ LƯỢNG"));
        let vocabulary = Vocabulary::get();
        for (header, role) in [
            ("et_title_variation_sku", Role::Sku),
            ("SKU Induk", Role::ParentSku),
            ("คลัง", Role::Stock),
            ("Số lượng", Role::Stock),
            ("sku.SellerSku", Role::Sku),
        ] {
            assert!(
                vocabulary
                    .roles_of(&normalize_header(header))
                    .iter()
                    .any(|(r, _)| *r == role),
                "{header}"
            );
        }
    }
}
