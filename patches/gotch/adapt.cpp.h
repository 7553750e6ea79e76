// gotch v0.9.1 generated functions rewritten for every libtorch, keeping each C signature
// (so the Go bindings are unchanged). gotch's generator leaves out a defaulted Scalar
// argument and then passes the next argument positionally into its slot: a bool or an
// int converts to Scalar, so the call compiles and means something else (rrelu's
// `training` became `lower`; trapezoid's `dim` became `dx`). These pass the schema's
// defaults explicitly. scripts/gotch-ops.py apply puts each in place of the generated
// one for the functions patches/gotch/ops.tsv marks `adapt`.

void atg__addmm_activation(tensor *out__, tensor self, tensor mat1, tensor mat2, int use_gelu) {
  PROTECT(
    auto outputs__ = torch::_addmm_activation(*self, *mat1, *mat2, /*beta=*/1, /*alpha=*/1, (bool)use_gelu);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg__addmm_activation_out(tensor *out__, tensor out, tensor self, tensor mat1, tensor mat2, int use_gelu) {
  PROTECT(
    auto outputs__ = torch::_addmm_activation_out(*out, *self, *mat1, *mat2, /*beta=*/1, /*alpha=*/1, (bool)use_gelu);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg_cumulative_trapezoid(tensor *out__, tensor y, int64_t dim) {
  PROTECT(
    auto outputs__ = torch::cumulative_trapezoid(*y, /*dx=*/1, dim);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg_trapezoid(tensor *out__, tensor y, int64_t dim) {
  PROTECT(
    auto outputs__ = torch::trapezoid(*y, /*dx=*/1, dim);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg_rrelu(tensor *out__, tensor self, int training) {
  PROTECT(
    auto outputs__ = torch::rrelu(*self, /*lower=*/0.125, /*upper=*/1.0 / 3.0, (bool)training);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg_rrelu_(tensor *out__, tensor self, int training) {
  PROTECT(
    auto outputs__ = torch::rrelu_(*self, /*lower=*/0.125, /*upper=*/1.0 / 3.0, (bool)training);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg_rrelu_with_noise(tensor *out__, tensor self, tensor noise, int training) {
  PROTECT(
    auto outputs__ = torch::rrelu_with_noise(*self, *noise, /*lower=*/0.125, /*upper=*/1.0 / 3.0, (bool)training);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg_rrelu_with_noise_(tensor *out__, tensor self, tensor noise, int training) {
  PROTECT(
    auto outputs__ = torch::rrelu_with_noise_(*self, *noise, /*lower=*/0.125, /*upper=*/1.0 / 3.0, (bool)training);
    out__[0] = new torch::Tensor(outputs__);
  )
}

void atg_rrelu_with_noise_out(tensor *out__, tensor out, tensor self, tensor noise, int training) {
  PROTECT(
    auto outputs__ = torch::rrelu_with_noise_out(*out, *self, *noise, /*lower=*/0.125, /*upper=*/1.0 / 3.0, (bool)training);
    out__[0] = new torch::Tensor(outputs__);
  )
}

// gotch passes an absent Tensor? argument as an undefined tensor inside the optional
// (`(attn_mask ? *attn_mask : torch::Tensor())`), not as None. Most ops read an undefined
// tensor as None; scaled_dot_product_attention checks has_value() and then fails on the
// undefined tensor's dtype, so SDPA without a mask (transformers' usual call) could not run.
// An absent or undefined mask becomes nullopt, as Python's attn_mask=None.
void atg_scaled_dot_product_attention(tensor *out__, tensor query, tensor key, tensor value, tensor attn_mask, double dropout_p, int is_causal, double scale_v, uint8_t scale_null) {
  PROTECT(
    c10::optional<torch::Tensor> mask = (attn_mask && attn_mask->defined()) ? c10::optional<torch::Tensor>(*attn_mask) : c10::optional<torch::Tensor>();
    auto outputs__ = torch::scaled_dot_product_attention(*query, *key, *value, mask, dropout_p, (bool)is_causal, scale_null ? c10::nullopt : c10::optional<double>(scale_v));
    out__[0] = new torch::Tensor(outputs__);
  )
}
