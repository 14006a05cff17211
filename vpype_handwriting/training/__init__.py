"""The training wing: IAM-OnDB preparation, batches, the training loop, synthetic lines and
the legibility checker's training. Needs torch; the inference modules never import it."""
