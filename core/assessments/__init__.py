"""Assessment (考核评价, SUP-3): a superior's schemes of weighted criteria — scored by hand, by an
automatic metric (hook ``assessment_metrics``) or by a checklist standard such as 五有 or 八有
whose every point needs evidence — the units' self-assessment, the superior's scores, results
published in the scheme's scope; and the contact points and model units (联系点, 示范点) a
superior designates with the standard they model."""
