"""Rollout campaigns (RPT-2): a superior runs a campaign over its subtree in stages (mobilise,
implement, inspect …), each with a deadline and a checklist; each unit marks its progress with
evidence, and the superior sees it per unit and stage and reminds the laggards."""
