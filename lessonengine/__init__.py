"""The domain, no Flask: the autodiff `engine`, the course `content`, `assessment`, figures."""
