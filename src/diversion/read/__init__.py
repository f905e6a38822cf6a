"""The one read layer over ``Engine``: leads, dossiers, evidence, neighbourhoods and money.

The CLI (``lead``, ``leads``, ``path``), the report and the web app's pages all
read the warehouse through these modules, so a fix here reaches every output:

- ``read.money``: the one money formatter;
- ``read.stages``: which stages have run, and the command that runs a missing one;
- ``read.leads``: the ranked leads (one threshold), and listed entities with no trade (context);
- ``read.evidence``: a finding's evidence as labelled tables and the rows behind it;
- ``read.dossier``: everything about one entity;
- ``read.neighbourhood``: the network around an entity;
- ``read.values``: amounts in the report currency, converted month by month.
"""
