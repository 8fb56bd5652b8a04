# Object-based classification of the segments: training samples -> training
# table -> classifier -> class per segment -> class map, plus a grouped
# cross-validation. Runs for scenes whose classification names a training file.


rule training_table:
    input:
        segments=segments_file,
        training=training_file,
    output:
        table=f"{SCENE_DIR}/classify/training.parquet",
        report=f"{SCENE_DIR}/classify/training.json",
    log:
        f"{SCENE_DIR}/logs/training_table.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/training_table.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    params:
        classification=training_params,
    script:
        "../scripts/training_table.py"


rule train:
    input:
        table=rules.training_table.output.table,
    output:
        f"{SCENE_DIR}/classify/classifier.pkl",
    log:
        f"{SCENE_DIR}/logs/train.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/train.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=60,
    params:
        classification=train_params,
    script:
        "../scripts/train.py"


rule classify:
    input:
        segments=segments_file,
        model=rules.train.output[0],
    output:
        intermediate(f"{SCENE_DIR}/work/classify/predictions.parquet"),
    log:
        f"{SCENE_DIR}/logs/classify.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/classify.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    script:
        "../scripts/classify.py"


rule class_map:
    input:
        segments=segments_file,
        predictions=rules.classify.output[0],
        model=rules.train.output[0],
    output:
        f"{SCENE_DIR}/classes{{ext}}",
    log:
        f"{SCENE_DIR}/logs/class_map{{ext}}.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/class_map{{ext}}.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=60,
    params:
        classification=class_map_params,
        fmt=output_format,
    script:
        "../scripts/class_map.py"


rule class_table:
    input:
        predictions=rules.classify.output[0],
        model=rules.train.output[0],
    output:
        f"{SCENE_DIR}/classes.parquet",
    log:
        f"{SCENE_DIR}/logs/class_table.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/class_table.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../scripts/class_table.py"


rule accuracy:
    input:
        table=rules.training_table.output.table,
        report=rules.training_table.output.report,
    output:
        json=f"{SCENE_DIR}/accuracy.json",
        summary=report(
            f"{SCENE_DIR}/report/accuracy.tsv",
            caption="../report/accuracy.rst",
            category="Classification",
            subcategory="{scene}",
        ),
        classes=report(
            f"{SCENE_DIR}/report/class_accuracy.tsv",
            caption="../report/class_accuracy.rst",
            category="Classification",
            subcategory="{scene}",
        ),
        confusion=report(
            f"{SCENE_DIR}/report/confusion.tsv",
            caption="../report/confusion.rst",
            category="Classification",
            subcategory="{scene}",
        ),
    log:
        f"{SCENE_DIR}/logs/accuracy.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/accuracy.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=120,
    params:
        classification=accuracy_params,
    script:
        "../scripts/accuracy.py"


rule class_quicklook:
    input:
        classes_file,
    output:
        report(
            f"{SCENE_DIR}/quicklook/classes.png",
            caption="../report/quicklook_classes.rst",
            category="Classification",
            subcategory="{scene}",
        ),
    log:
        f"{SCENE_DIR}/logs/class_quicklook.log",
    benchmark:
        f"{SCENE_DIR}/benchmarks/class_quicklook.tsv"
    conda:
        "../envs/shepcore.yaml"
    threads: 1
    resources:
        mem_mb=1000,
        runtime=30,
    script:
        "../scripts/class_quicklook.py"
