import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { Card, PageHeader } from "@/ui/layout";
import { useToast } from "@/ui/toast-context";
import { bodyOf, ProductForm } from "./ProductForm";
import { createProduct } from "./api";
import { productKeys } from "./keys";

export default function ProductCreatePage() {
  const navigate = useNavigate();
  const client = useQueryClient();
  const toast = useToast();
  return (
    <>
      <PageHeader title="Add a product" description="Only SKU and name are required; the rest can come later." />
      <Card className="max-w-3xl p-5">
        <ProductForm
          submitLabel="Add product"
          onCancel={() => navigate("/products")}
          onSubmit={async (values) => {
            const product = await createProduct(bodyOf(values));
            client.setQueryData(productKeys.detail(product.id), product);
            void client.invalidateQueries({ queryKey: productKeys.lists() });
            toast({ tone: "good", title: `Added ${product.sku}`, body: product.name });
            navigate(`/products/${product.id}`);
          }}
        />
      </Card>
    </>
  );
}
