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
