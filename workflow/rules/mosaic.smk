rule mosaic:
    input:
        mosaic_inputs,
    output:
        f"{SCENE_DIR}/mosaic.vrt",
    log:
        f"{SCENE_DIR}/logs/mosaic.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/mosaic.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=400,
        runtime=job_runtime("mosaic"),
    params:
        mosaic=mosaic_params,
    script:
        "../scripts/mosaic.py"


rule fit_model:
    input:
        mosaic=rules.mosaic.output[0],
    output:
        f"{SCENE_DIR}/model.json",
    log:
        f"{SCENE_DIR}/logs/fit_model.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/fit_model.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 2
    resources:
        mem_mb=2000,
        runtime=job_runtime("fit_model"),
    params:
        model=model_params,
    script:
        "../scripts/fit_model.py"
