rule seams_row:
    input:
        labels=seam_labels,
        pieces=seam_pieces,
    output:
        intermediate(f"{SCENE_DIR}/seams/{{row}}.npy"),
    log:
        f"{SCENE_DIR}/logs/seams_row/{{row}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/seams_row/{{row}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=of_scene(resources.seams_memory_mb),
        runtime=job_runtime("seams_row"),
    params:
        tiles=all_tiles,
    script:
        "../scripts/seams_row.py"


rule stitch:
    input:
        seams=all_seams,
        pieces=all_pieces,
        model=rules.fit_model.output[0],
    output:
        lut=intermediate(f"{SCENE_DIR}/stitch/lut.npz"),
        # Kept: summary.json reports from it, and it is small.
        report=f"{SCENE_DIR}/seams.json",
    log:
        f"{SCENE_DIR}/logs/stitch.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/stitch.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=of_scene(resources.stitch_memory_mb),
        runtime=job_runtime("stitch"),
    params:
        tiles=all_tiles,
        seg=segment_params,
    script:
        "../scripts/stitch.py"


rule assemble:
    input:
        labels=all_labels,
        lut=rules.stitch.output.lut,
        mosaic=rules.mosaic.output[0],
    output:
        intermediate(f"{SCENE_DIR}/work/stitched.img"),
    log:
        f"{SCENE_DIR}/logs/assemble.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/assemble.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=of_scene(resources.assemble_memory_mb),
        runtime=job_runtime("assemble"),
    params:
        tiles=all_tiles,
    script:
        "../scripts/assemble.py"
