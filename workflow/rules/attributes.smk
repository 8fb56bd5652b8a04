rule stats_part:
    input:
        stitched=rules.assemble.output[0],
        mosaic=rules.mosaic.output[0],
    output:
        intermediate(directory(f"{SCENE_DIR}/work/stats/{{row}}")),
    log:
        f"{SCENE_DIR}/logs/stats_part/{{row}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/stats_part/{{row}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=stats_mem_mb,
        runtime=job_runtime("stats_part"),
    params:
        window=row_core_window,
        settings=scene_config,
        nbands=scene_bands,
    script:
        "../scripts/stats_part.py"


rule attributes:
    input:
        stitched=rules.assemble.output[0],
        mosaic=rules.mosaic.output[0],
        parts=all_stats_parts,
    output:
        f"{SCENE_DIR}/segments{{ext}}",
    log:
        f"{SCENE_DIR}/logs/attributes{{ext}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/attributes{{ext}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=stats_mem_mb,
        runtime=job_runtime("attributes"),
    params:
        windows=all_row_core_windows,
        settings=scene_config,
        nbands=scene_bands,
        fmt=output_format,
    script:
        "../scripts/attributes.py"


rule table:
    input:
        segments_file,
    output:
        f"{SCENE_DIR}/segments.{{table_ext}}",
    log:
        f"{SCENE_DIR}/logs/table.{{table_ext}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/table.{{table_ext}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=stats_mem_mb,
        runtime=job_runtime("table"),
    script:
        "../scripts/table.py"


rule vector:
    input:
        segments_file,
    output:
        f"{SCENE_DIR}/{{vector_file}}",
    log:
        f"{SCENE_DIR}/logs/vector.{{vector_file}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/vector.{{vector_file}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=stats_mem_mb,
        runtime=job_runtime("vector"),
    script:
        "../scripts/vector.py"


rule colour_sidecars:
    input:
        segments_file,
    output:
        clr=f"{SCENE_DIR}/segments.clr",
        qml=f"{SCENE_DIR}/segments.qml",
    log:
        f"{SCENE_DIR}/logs/colour_sidecars.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/colour_sidecars.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=job_runtime("colour_sidecars"),
    script:
        "../scripts/colour_sidecars.py"


rule quicklook:
    input:
        segments=segments_file,
        mosaic=rules.mosaic.output[0],
    output:
        scene=report(
            f"{SCENE_DIR}/quicklook/scene_boundaries.png",
            caption="../report/quicklook_scene.rst",
            category="Quicklooks",
            subcategory="{scene}",
        ),
        crop=report(
            f"{SCENE_DIR}/quicklook/crop_boundaries.png",
            caption="../report/quicklook_crop.rst",
            category="Quicklooks",
            subcategory="{scene}",
        ),
        segments=report(
            f"{SCENE_DIR}/quicklook/segments_coloured.png",
            caption="../report/quicklook_segments.rst",
            category="Quicklooks",
            subcategory="{scene}",
        ),
    log:
        f"{SCENE_DIR}/logs/quicklook.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/quicklook.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=job_runtime("quicklook"),
    params:
        rgb_bands=quicklook_bands,
    script:
        "../scripts/quicklook.py"


rule summary:
    input:
        segments=segments_file,
        model=rules.fit_model.output[0],
        seams=rules.stitch.output.report,
    output:
        summary=f"{SCENE_DIR}/summary.json",
        params=report(
            f"{SCENE_DIR}/report/parameters.html",
            caption="../report/parameters.rst",
            category="Run",
            subcategory="{scene}",
        ),
        sizes=report(
            f"{SCENE_DIR}/report/segment_sizes.html",
            caption="../report/segment_sizes.rst",
            category="Run",
            subcategory="{scene}",
        ),
    log:
        f"{SCENE_DIR}/logs/summary.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/summary.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=500,
        runtime=job_runtime("summary"),
    params:
        settings=scene_config,
        tiles=all_tiles,
    script:
        "../scripts/summary.py"


rule plots:
    input:
        products_of_scene,
    output:
        sizes=report(
            f"{SCENE_DIR}/report/segment_sizes.png",
            caption="../report/plot_sizes.rst",
            category="Plots",
            subcategory="{scene}",
        ),
        tiles=report(
            f"{SCENE_DIR}/report/tile_pixels.png",
            caption="../report/plot_tiles.rst",
            category="Plots",
            subcategory="{scene}",
        ),
        times=report(
            f"{SCENE_DIR}/report/job_times.png",
            caption="../report/plot_times.rst",
            category="Plots",
            subcategory="{scene}",
        ),
    log:
        f"{SCENE_DIR}/logs/plots.log",
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=job_runtime("plots"),
    params:
        segments=segments_file,
        tiles=all_tiles,
        benchmarks=f"{SCENE_DIR}/benchmarks",
    script:
        "../scripts/plots.py"
