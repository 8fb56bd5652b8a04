rule seams_row:
    input:
        seam_labels,
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
        mem_mb=1000,
        runtime=30,
    params:
        tiles=all_tiles,
    script:
        "../scripts/seams_row.py"


rule stitch:
    input:
        seams=all_seams,
        cores=all_core_flags,
    output:
        intermediate(f"{SCENE_DIR}/stitch/lut.npz"),
    log:
        f"{SCENE_DIR}/logs/stitch.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/stitch.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=30,
    script:
        "../scripts/stitch.py"


rule assemble:
    input:
        labels=all_labels,
        lut=rules.stitch.output[0],
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
        mem_mb=assemble_mem_mb,
        runtime=60,
    params:
        tiles=all_tiles,
    script:
        "../scripts/assemble.py"
