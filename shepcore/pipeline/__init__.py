"""The pipeline layer: what the Snakemake workflow runs. :mod:`.config`
(config checks and scenes), :mod:`.resources` (job memory, threads, time),
:mod:`.errors` (one-line job errors), and one module of job steps per
``workflow/rules/*.smk`` file: :mod:`.mosaic`, :mod:`.tiles`, :mod:`.stitch`,
:mod:`.attributes`, :mod:`.classify`. The only code that reads config settings."""
