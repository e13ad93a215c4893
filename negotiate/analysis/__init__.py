"""Analyses of a negotiation beyond one proposal, on a built model or a table of rows.

- `options`: drafted packages evaluated (completed, checked for acceptance)
  and improved for everyone;
- `metrics`: how evenly satisfaction is spread;
- `pareto`: which rows another row dominates;
- `groups`: the largest group of parties that can agree without the others;
- `power`: voting power under a decision rule; `winset`: what a party would ratify;
- `games`: cooperative games from coalition worths (Shapley, core, nucleolus);
- `coalitions`, `coalition_view`: coalition agreements, stability, worth, blocs (outsiders at the status quo);
- `status_quo`: the status quo as an outcome;
- `climate`: reference allocations beside the concepts (least cost, effort-sharing rules).
"""
