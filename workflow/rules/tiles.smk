rule split_row:
    input:
        mosaic=rules.mosaic.output[0],
    output:
        # Kept (not temp): a change of min_segment_size or connectivity reruns
        # from the tiles, without cutting the mosaic again.
        directory(f"{SCENE_DIR}/tiles/{{row}}"),
    log:
        f"{SCENE_DIR}/logs/split_row/{{row}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/split_row/{{row}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=segment_mem_mb,
        runtime=segment_runtime,
    params:
        tiles=row_tiles,
    script:
        "../scripts/split_row.py"


rule segment_tile:
    input:
        tiles=tile_row_dir,
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
    threads: segment_threads
    resources:
        mem_mb=segment_mem_mb,
        runtime=segment_runtime,
    params:
        seg=segment_params,
        tile=tile_window,
        grid=tile_grid_layout,
    script:
        "../scripts/segment_tile.py"
