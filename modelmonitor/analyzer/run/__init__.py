"""Run layer: one data-quality analysis run (`runner.run`), whoever starts it — its configuration (`job`), the
baseline files it reads and writes (`statsfile`, `constraints`), the checks that decide violations (`checks`),
and its outputs (`outputs`: drift report and metric records; `report`: the HTML report).

May import: `quality`, `stats`, `methods`, `read`, `base`. Belongs here: deciding a violation, writing an output."""
