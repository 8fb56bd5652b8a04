# Each tile job reads its window (overlap included) straight from the mosaic:
# no tile copies on disk, and the decoding is spread over the tile jobs.
rule segment_tile:
    input:
        model=rules.fit_model.output[0],
        mosaic=rules.mosaic.output[0],
    output:
        labels=intermediate(f"{SCENE_DIR}/labels/{{tile}}.npy"),
        pieces=intermediate(f"{SCENE_DIR}/labels/{{tile}}.pieces.npz"),
    log:
        f"{SCENE_DIR}/logs/segment_tile/{{tile}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/segment_tile/{{tile}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: of_scene(resources.segment_threads)
    resources:
        mem_mb=of_scene(resources.segment_memory_mb),
        runtime=job_runtime("segment_tile"),
    params:
        seg=segment_params,
        tile=tile_window,
        grid=tile_grid_layout,
    script:
        "../scripts/segment_tile.py"
