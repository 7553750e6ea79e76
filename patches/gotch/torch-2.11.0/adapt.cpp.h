// gotch v0.9.1 generated functions rewritten for libtorch 2.11.0's schemas, keeping
// each C signature (so the Go bindings are unchanged) and libtorch 2.1.0's meaning.
// scripts/gotch-ops.py apply puts each definition in place of the generated one, for
// the functions ops.tsv marks `adapt`; why each one is here is said in ops.tsv.

void atg__cslt_sparse_mm(tensor *out__, tensor compressed_A, tensor dense_B, tensor bias, int transpose_result) {
  PROTECT(
    auto outputs__ = torch::_cslt_sparse_mm(*compressed_A, *dense_B, (bias ? *bias : torch::Tensor()), /*alpha=*/::std::nullopt, /*out_dtype=*/::std::nullopt, (bool)transpose_result);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg__efficient_attention_backward(tensor *out__, tensor grad_out_, tensor query, tensor key, tensor value, tensor bias, tensor out, tensor cu_seqlens_q, tensor cu_seqlens_k, int64_t max_seqlen_k, int64_t max_seqlen_q, tensor logsumexp, double dropout_p, tensor philox_seed, tensor philox_offset, int64_t custom_mask_type, int bias_requires_grad, double scale_v, uint8_t scale_null, int64_t num_splits_key_v, uint8_t num_splits_key_null) {
  PROTECT(
    auto outputs__ = torch::_efficient_attention_backward(*grad_out_, *query, *key, *value, (bias ? *bias : torch::Tensor()), *out, (cu_seqlens_q ? *cu_seqlens_q : torch::Tensor()), (cu_seqlens_k ? *cu_seqlens_k : torch::Tensor()), /*max_seqlen_q=*/max_seqlen_q, /*max_seqlen_k=*/max_seqlen_k, *logsumexp, dropout_p, *philox_seed, *philox_offset, custom_mask_type, (bool)bias_requires_grad, scale_null ? ::std::nullopt : ::std::optional<double>(scale_v), num_splits_key_null ? ::std::nullopt : ::std::optional<int64_t>(num_splits_key_v));
    out__[0] = new torch::Tensor(std::get<0>(outputs__));
    out__[1] = new torch::Tensor(std::get<1>(outputs__));
    out__[2] = new torch::Tensor(std::get<2>(outputs__));
    out__[3] = new torch::Tensor(std::get<3>(outputs__));
  )
}
