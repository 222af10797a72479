"""Customer lifetime value (客户终身价值): BG/NBD for purchase frequency and probability alive, Gamma-Gamma for spend
per purchase, fitted by maximum likelihood with numpy + scipy. `summary` turns transactions into per-member
(frequency, recency, T, monetary), `scoring` fits both models, scores every member and stores the run."""
